"""The real corpus through the whole product: push ../shared/corpus to the local stack,
verify, compare the viewer's counts with the parsers', and prove planted secrets never
reach the server. Runs when ../shared/corpus exists."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from client.redact import Redactor
from client.sources.registry import native_sources
from client.wire import session_to_wire
from infra.local.stack import DATABASE, Stack
from tests.e2e.test_local_stack import BIN, stack  # noqa: F401 - the fixture

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
SECRETS = {
    "aws-access-key": "AKIA" + "Z7Q2X4V6B8N0M1L3",
    "anthropic-key": "sk-ant-api03-" + "k" * 40 + "AA",
    "github-token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "url-password": "postgres://app:" + "Sup3rS3cretPw" + "@db.internal:5432/app",
}
SECRET_VALUES = ["Z7Q2X4V6B8N0M1L3", "k" * 40, "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "Sup3rS3cretPw"]

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"real corpus not present at {CORPUS}")


def _plant(root: Path) -> int:
    """Put every secret into the first user message of every Claude and Codex log."""
    planted = 0
    text = " ".join(SECRETS.values())
    for path in sorted(root.rglob("*.jsonl")):
        lines = path.read_bytes().split(b"\n")
        for i, raw in enumerate(lines):
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(obj, dict):
                continue
            msg, payload = obj.get("message"), obj.get("payload")
            if obj.get("type") == "user" and isinstance(msg, dict) and isinstance(msg.get("content"), str):
                msg["content"] += " " + text
            elif isinstance(payload, dict) and payload.get("role") == "user" and payload.get("content"):
                payload["content"][0]["text"] = payload["content"][0].get("text", "") + " " + text
            else:
                continue
            lines[i] = json.dumps(obj).encode()
            planted += 1
            break
        path.write_bytes(b"\n".join(lines))
    return planted


def test_the_real_corpus_round_trips_and_secrets_stay_home(stack, tmp_path: Path) -> None:  # noqa: F811
    env, values = stack
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS, copy)
    assert _plant(copy) >= 10
    roots = {
        "CLAUDE_PROJECTS_DIR": copy / "claude" / "projects",
        "CODEX_SESSIONS_DIR": copy / "codex" / "sessions",
        "GEMINI_DIR": copy / "gemini",
    }
    env = {
        **env,
        **values,
        **{k: str(v) for k, v in roots.items()},
        "AV_USER_PATH": str(tmp_path / "user"),
        "HOME": str(tmp_path / "home"),
    }
    pushed = subprocess.run(
        [str(BIN / "av-client"), "push", "--json"], env=env, capture_output=True, text=True, timeout=300
    )
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    summary = json.loads(pushed.stdout)
    assert summary["redactions"].get("aws-access-key", 0) >= 10
    verify = subprocess.run(
        [str(BIN / "av-client"), "verify", "--json"], env=env, capture_output=True, text=True, timeout=300
    )
    assert verify.returncode == 0, verify.stdout

    # What the parsers say, per session (through the same redaction the client applies).
    expected = {}
    redactor = Redactor()
    for source in native_sources():
        for path in source.discover(Path(env[source.env_var])):
            for session in source.parse(path)[0]:
                if session.messages:
                    expected[session.session_id] = session_to_wire(session, redactor)
    assert len(expected) >= 30

    stack_dir = Path(env["AV_DATA_DIR"])
    st = Stack(stack_dir)
    cluster = st.cluster(st.state())
    with psycopg.connect(cluster.socket_dsn(dbname=DATABASE), autocommit=True) as conn:
        rows = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT session_id, message_count, tool_call_count, input_tokens, output_tokens, cache_read_tokens "
                "FROM av.sessions WHERE deleted_at IS NULL"
            )
        }
        assert set(rows) == set(expected)
        for sid, wire in expected.items():
            msgs = wire["messages"]
            usage = [m.get("usage") or {} for m in msgs]
            assert rows[sid] == (
                len(msgs),
                sum(len(m.get("tool_calls") or []) for m in msgs),
                sum(u.get("input_tokens", 0) for u in usage),
                sum(u.get("output_tokens", 0) for u in usage),
                sum(u.get("cache_read_tokens", 0) for u in usage),
            ), sid
        held = "\n".join(
            str(r[0])
            for r in conn.execute(
                "SELECT concat_ws(' ', content, blocks::text) FROM av.messages UNION ALL "
                "SELECT concat_ws(' ', input_json, result_content) FROM av.tool_calls UNION ALL "
                "SELECT concat_ws(' ', first_message, display_name, cwd, project) FROM av.sessions"
            )
        )
    assert held
    for value in SECRET_VALUES:
        assert value not in held, f"a planted secret reached the server: {value[:6]}…"
