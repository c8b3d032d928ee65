"""No-op push and append cost against the local stack, measured in one run.

    .venv/bin/python bench/client_push.py [--sessions 2000]

Starts ``av-admin local up`` in a temporary AV_DATA_DIR (stopped afterwards), then:

* no-op: 2,000 sessions pushed once, then ``av-client push`` again with nothing
  changed — wall time of the whole command (budget ≤ 1 s).
* append: a 5,000-message session pushed, 10 messages appended, pushed again —
  bytes sent (plan + push, gzip) vs the JSON of those 10 messages (budget ≤ 2× + 2 KB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from client.sources.claude import parse_claude_file  # noqa: E402
from client.wire import session_to_wire  # noqa: E402
from tests.client.push_helpers import append_turns, write_session  # noqa: E402

BIN = Path(sys.executable).parent


def av(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], env=env, capture_output=True, text=True, timeout=900
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        env = {
            **os.environ,
            "AV_DATA_DIR": str(tmpd / "data"),
            "AV_USER_PATH": str(tmpd / "user"),
            "CLAUDE_PROJECTS_DIR": str(tmpd / "claude"),
            "CODEX_SESSIONS_DIR": str(tmpd / "none"),
            "GEMINI_DIR": str(tmpd / "none"),
            "AGENTSVIEW_DB": str(tmpd / "none" / "db"),
        }
        up = av(["av-admin", "local", "up", "--machine", "bench"], env)
        if up.returncode:
            print(up.stderr)
            return 2
        try:
            exported = av(["av-admin", "local", "env"], env).stdout
            for line in exported.splitlines():
                k, v = line.removeprefix("export ").split("=", 1)
                env[k] = v.strip("'")
            root = tmpd / "claude"
            for i in range(args.sessions):
                write_session(
                    root, f"00000000-0000-4000-8000-{i:012d}", 6, project=f"-home-b-projects-p{i % 20}"
                )
            first = av(["av-client", "push", "--json"], env)
            assert first.returncode == 0, first.stderr
            t = time.perf_counter()
            noop = av(["av-client", "push", "--json"], env)
            wall = time.perf_counter() - t
            s = json.loads(noop.stdout)
            print(
                f"no-op push of {s['sessions']} unchanged sessions: {wall:.2f} s wall "
                f"({s['requests']} request, {s['bytes_sent']} bytes; budget <= 1 s: {'PASS' if wall <= 1 else 'FAIL'})"
            )

            # The append is measured alone (its own log root and state), so the plan of the 2,000
            # sessions above does not count against it.
            env = {**env, "CLAUDE_PROJECTS_DIR": str(tmpd / "big"), "AV_USER_PATH": str(tmpd / "user-big")}
            sid = "ffffffff-0000-4000-8000-000000000001"
            path = write_session(tmpd / "big", sid, 5000, project="-home-b-projects-big")
            assert av(["av-client", "push", "--json"], env).returncode == 0
            append_turns(path, sid, 5000, 10)
            pushed = json.loads(av(["av-client", "push", "--json"], env).stdout)
            wire = session_to_wire(parse_claude_file(path)[0][0])
            k_json = sum(len(orjson.dumps(m)) for m in wire["messages"][-10:])
            budget = 2 * k_json + 2048
            print(
                f"append 10 messages to a 5,000-message session: {pushed['bytes_sent']} bytes sent "
                f"({pushed['messages_sent']} messages) vs 2 x {k_json} + 2048 = {budget} "
                f"({pushed['bytes_sent'] / budget:.0%} of the budget: "
                f"{'PASS' if pushed['bytes_sent'] <= budget else 'FAIL'})"
            )
        finally:
            av(["av-admin", "local", "down"], env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
