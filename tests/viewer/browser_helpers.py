"""Helpers for the browser tests: sample sessions pushed through the real ingest app,
and the real viewer app served over TLS by uvicorn in a background thread."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from fastapi.testclient import TestClient

from avcore.settings import IngestSettings, ViewerSettings
from infra.local.ca import LocalCA

MACHINE = "laptop"
BIG_MESSAGES = 250
TOOLS_ID = f"{MACHINE}:sess-tools"
BIG_ID = f"{MACHINE}:sess-big"
CODEX_ID = f"{MACHINE}:sess-codex"
TOOLS_FIRST = "Please list the files in the repository and explain the layout"
BIG_FIRST = "Refactor the storage layer into smaller modules"
CODEX_FIRST = "Why does the nightly build fail on arm64?"
INJECTION = "<img src=x onerror=\"document.title='pwned'\"><script>window.pwned=1</script>"


def sha(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _msg(sid: str, ordinal: int, role: str, content: str, ts: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "ordinal": ordinal,
        "role": role,
        "content": content,
        "timestamp": ts.isoformat(),
        "chain_hash": sha(sid, ordinal, content),
        **extra,
    }


def _session(
    sid: str,
    agent: str,
    project: str,
    first: str,
    start: datetime,
    messages: list[dict[str, Any]],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "session_id": sid,
        "agent": agent,
        "project": project,
        "cwd": f"/home/dev/{project}",
        "first_message": first,
        "started_at": start.isoformat(),
        "ended_at": messages[-1]["timestamp"],
        "fingerprint": sha(sid, len(messages)),
        "messages": messages,
        **extra,
    }


def tools_session(now: datetime) -> dict[str, Any]:
    sid, t = "sess-tools", now - timedelta(minutes=50)
    step = timedelta(seconds=20)
    thinking = "The user wants a listing. I should run ls first, then read the README."
    bash_in = {"command": "ls -la", "description": "List files"}
    usage = {"input_tokens": 1200, "output_tokens": 340, "cache_read_tokens": 9000}
    msgs = [
        _msg(sid, 0, "user", TOOLS_FIRST, t, blocks=[{"type": "text", "text": TOOLS_FIRST}]),
        _msg(
            sid,
            1,
            "assistant",
            f"[Thinking]\n{thinking}\n[/Thinking]\nI'll start by listing the files.\n[Bash: List files]\n$ ls -la",
            t + step,
            model="claude-sonnet-4-5",
            has_thinking=True,
            has_tool_use=True,
            usage=usage,
            blocks=[
                {"type": "thinking", "text": thinking},
                {"type": "text", "text": "I'll start by listing the files."},
                {"type": "tool_use", "id": "toolu_01", "name": "Bash"},
            ],
            tool_calls=[
                {
                    "call_index": 0,
                    "tool_name": "Bash",
                    "tool_use_id": "toolu_01",
                    "category": "bash",
                    "input_json": json.dumps(bash_in),
                    "result_content": "README.md\npyproject.toml\nsrc/\ntests/",
                }
            ],
        ),
        _msg(
            sid,
            2,
            "assistant",
            "[Read: /home/dev/av-cloud/MISSING.md]",
            t + 2 * step,
            model="claude-sonnet-4-5",
            has_tool_use=True,
            usage=usage,
            blocks=[{"type": "tool_use", "id": "toolu_02", "name": "Read"}],
            tool_calls=[
                {
                    "call_index": 0,
                    "tool_name": "Read",
                    "tool_use_id": "toolu_02",
                    "category": "read",
                    "input_json": json.dumps({"file_path": "/home/dev/av-cloud/MISSING.md"}),
                    "result_content": "File does not exist.",
                    "result_is_error": True,
                }
            ],
        ),
        _msg(
            sid,
            3,
            "assistant",
            "[Task: Survey the tests (Explore)]",
            t + 3 * step,
            model="claude-sonnet-4-5",
            has_tool_use=True,
            blocks=[{"type": "tool_use", "id": "toolu_03", "name": "Task"}],
            tool_calls=[
                {
                    "call_index": 0,
                    "tool_name": "Task",
                    "tool_use_id": "toolu_03",
                    "category": "task",
                    "input_json": json.dumps({"description": "Survey the tests", "subagent_type": "Explore"}),
                    "result_content": "The tests live in tests/.",
                    "subagent_session_id": "agent-sub1",
                }
            ],
        ),
        _msg(sid, 4, "user", f"Does this render as text? {INJECTION}", t + 4 * step),
        _msg(
            sid,
            5,
            "assistant",
            "The layout is standard:\n\n```python\ndef main() -> None:\n    print('<b>hi</b>')\n```\n\n"
            "Run `pytest -q` to check.",
            t + 5 * step,
            model="claude-sonnet-4-5",
            usage=usage,
        ),
    ]
    return _session(sid, "claude", "av-cloud", TOOLS_FIRST, t, msgs, git_branch="main")


def subagent_session(now: datetime) -> dict[str, Any]:
    sid, t = "agent-sub1", now - timedelta(minutes=49)
    msgs = [
        _msg(sid, 0, "user", "Survey the tests", t),
        _msg(sid, 1, "assistant", "The tests live in tests/.", t + timedelta(seconds=5)),
    ]
    return _session(
        sid,
        "claude",
        "av-cloud",
        "Survey the tests",
        t,
        msgs,
        parent_session_id="sess-tools",
        relationship="subagent",
        parent_tool_use_id="toolu_03",
    )


def big_session(now: datetime) -> dict[str, Any]:
    sid, t = "sess-big", now - timedelta(hours=3)
    msgs = []
    for i in range(BIG_MESSAGES):
        role = "user" if i % 2 == 0 else "assistant"
        text = BIG_FIRST if i == 0 else f"Step {i}: {'request' if role == 'user' else 'done'} (message {i})"
        msgs.append(
            _msg(
                sid,
                i,
                role,
                text,
                t + timedelta(seconds=15 * i),
                **({"model": "claude-opus-4-1"} if role == "assistant" else {}),
            )
        )
    return _session(sid, "claude", "storage", BIG_FIRST, t, msgs)


def codex_session(now: datetime) -> dict[str, Any]:
    sid, t = "sess-codex", now - timedelta(days=2)
    msgs = [
        _msg(sid, 0, "user", CODEX_FIRST, t),
        _msg(
            sid,
            1,
            "assistant",
            "[Thinking]\nCheck the toolchain first.\n[/Thinking]\nThe arm64 runner lacks clang.",
            t + timedelta(minutes=1),
            model="gpt-5-codex",
            has_thinking=True,
        ),
    ]
    return _session(sid, "codex", "buildbot", CODEX_FIRST, t, msgs)


def push_samples(ingest_dsn: str, device_token: str) -> None:
    """Push the sample sessions through the real ingest app (in-process)."""
    from ingest_fn.app import create_app

    now = datetime.now(UTC)
    sessions = [tools_session(now), subagent_session(now), big_session(now), codex_session(now)]
    app = create_app(IngestSettings(database_url=ingest_dsn, environment="local"))
    try:
        with TestClient(app, base_url="https://testserver") as client:
            resp = client.post(
                "/v1/push",
                headers={"Authorization": f"Bearer {device_token}"},
                json={"protocol": 1, "request_id": "browser-test-1", "sessions": sessions},
            )
            assert resp.status_code == 200, resp.text
            statuses = [r["status"] for r in resp.json()["results"]]
            assert statuses == ["applied"] * len(sessions), resp.json()
    finally:
        app.state.db.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str  # ends with "/"


@contextmanager
def serve_viewer(viewer_dsn: str, tls_dir: Path, *, base_path: str = "") -> Iterator[Served]:
    """The real viewer app under uvicorn with TLS, in a thread; stopped on exit."""
    from viewer_fn.app import create_app

    ca = LocalCA(tls_dir)
    ca.ensure()
    app = create_app(
        ViewerSettings(
            database_url=viewer_dsn, session_secret="s" * 40, environment="local", base_path=base_path
        )
    )
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ssl_keyfile=str(ca.server_key),
        ssl_certfile=str(ca.server_cert),
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"viewer-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the viewer server did not start")
        time.sleep(0.02)
    try:
        yield Served(f"https://127.0.0.1:{port}{base_path}/")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.db.close()
