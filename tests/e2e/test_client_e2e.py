"""av-client end to end against the local stack (`av-admin local up`): the commands as a user runs them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.client.push_helpers import append_turns, write_session
from tests.e2e.test_local_stack import BIN, stack  # noqa: F401 - the fixture

SID_A = "a0000000-0000-4000-8000-00000000000a"
SID_B = "b0000000-0000-4000-8000-00000000000b"


def test_push_append_delete_verify_status_doctor(stack, tmp_path: Path) -> None:  # noqa: F811
    env, values = stack
    root = tmp_path / "claude"
    env = {
        **env,
        **values,
        "AV_USER_PATH": str(tmp_path / "user"),
        "HOME": str(tmp_path / "home"),  # no agent's default location holds anything
        "CLAUDE_PROJECTS_DIR": str(root),
    }

    def av(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "av-client"), *args], env=env, capture_output=True, text=True, timeout=120
        )

    a = write_session(root, SID_A, 30)
    b = write_session(root, SID_B, 4, text="a key AKIA" + "QWERTYUIOPASDFGH")
    first = json.loads(av("push", "--json").stdout)
    assert first["applied"] == 2 and first["redactions"]["aws-access-token"] >= 1
    append_turns(a, SID_A, 30, 3)
    second = json.loads(av("push", "--json").stdout)
    assert second["applied"] == 1 and second["messages_sent"] == 3 and second["unchanged"] == 1
    b.unlink()
    third = json.loads(av("push", "--json").stdout)
    assert third["gone_marked"] == 1 and third["deleted"] == 0  # history is kept
    verify = av("verify", "--json")
    assert verify.returncode == 0, verify.stdout
    assert json.loads(verify.stdout)["matching"] == 1
    assert json.loads(verify.stdout)["kept_on_server_gone_locally"] == [SID_B]
    status = json.loads(av("status", "--json").stdout)
    assert status["server"]["sessions"] == 2 and status["server"]["gone_locally_sessions"] == 1
    assert status["server"]["deleted_sessions"] == 0
    assert status["local"]["pending_sessions"] == 0
    doctor = av("doctor")
    assert doctor.returncode == 0, doctor.stdout
    assert values["AV_TOKEN"] not in "".join(p.stdout + p.stderr for p in (verify, doctor))
