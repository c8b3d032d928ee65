"""Helpers for the browser tests: sample sessions pushed through the real ingest app,
and the real viewer app served over TLS by uvicorn in a background thread."""

from __future__ import annotations

import gzip
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
            "[Read: /home/dev/av-cloud/docs/deployment/MISSING.md]",
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
                    "input_json": json.dumps({"file_path": "/home/dev/av-cloud/docs/deployment/MISSING.md"}),
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


# Markup and script tricks that must render as text and run nothing, in every field.
XSS = [
    "<script>window.__pwned=1;alert(1)</script>",
    '<img src=x onerror="window.__pwned=2;alert(2)">',
    '<svg onload="window.__pwned=3"><circle r=1 /></svg>',
    "[click me](javascript:window.__pwned=4) [data](data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(6)">link</a><iframe src="https://evil.example/"></iframe>',
    '<style>body{background:url(https://evil.example/css)}</style><p style="color:red">styled</p>',
    "![track](https://evil.example/pixel.png)",
    '"><script>alert(7)</script><meta http-equiv="refresh" content="0;url=https://evil.example/">',
]
XSS_TEXT = "\n\n".join(XSS)
XSS_LINE = " ".join(x.replace("\n", " ") for x in XSS[:3])
XSS_ID = f"{MACHINE}:sess-xss"


def hostile_session(now: datetime) -> dict[str, Any]:
    """Hostile content in every field the page shows: text, thinking, tool name/input/result,
    project, branch, model, title."""
    sid, t = "sess-xss", now - timedelta(minutes=30)
    tool_input = json.dumps(
        {"command": XSS_LINE, "file_path": XSS[1], "old_string": XSS[0], "new_string": XSS[2]}
    )
    msgs = [
        _msg(sid, 0, "user", XSS_TEXT, t, blocks=[{"type": "text", "text": XSS_TEXT}]),
        _msg(
            sid,
            1,
            "assistant",
            XSS_TEXT,
            t + timedelta(seconds=5),
            model=XSS_LINE[:200],
            has_thinking=True,
            has_tool_use=True,
            blocks=[
                {"type": "thinking", "text": XSS_TEXT},
                {"type": "text", "text": XSS_TEXT},
                {"type": "tool_use", "id": "toolu_x1", "name": "Edit"},
                {"type": "tool_use", "id": "toolu_x2", "name": XSS[1][:60]},
            ],
            tool_calls=[
                {
                    "call_index": 0,
                    "tool_name": "Edit",
                    "tool_use_id": "toolu_x1",
                    "category": "edit",
                    "input_json": tool_input,
                    "result_content": XSS_TEXT,
                },
                {
                    "call_index": 1,
                    "tool_name": XSS[1][:60],
                    "tool_use_id": "toolu_x2",
                    "category": XSS[0][:40],
                    "input_json": json.dumps({"x": XSS_TEXT}),
                    "result_content": XSS_TEXT,
                    "result_is_error": True,
                },
            ],
        ),
        _msg(sid, 2, "user", "and again " + XSS_LINE, t + timedelta(seconds=9)),
    ]
    return _session(
        sid, "claude", XSS_LINE[:120], XSS_LINE[:200], t, msgs, git_branch=XSS[0][:80], cwd=XSS[1][:100]
    )


def huge_session(now: datetime, count: int) -> dict[str, Any]:
    sid, t = "sess-huge", now - timedelta(days=1)
    msgs = []
    for i in range(count):
        role = "user" if i % 2 == 0 else "assistant"
        # Varied heights: every 7th message is long, so positions are not a simple product.
        extra = (
            "\n\n" + "\n".join(f"- detail line {j} of message {i}" for j in range(12)) if i % 7 == 0 else ""
        )
        msgs.append(
            _msg(sid, i, role, f"Huge step {i}: {role} text (message {i}){extra}", t + timedelta(seconds=i))
        )
    return _session(sid, "claude", "huge", "Huge step 0: user text (message 0)", t, msgs)


def push_sessions(
    ingest_dsn: str, device_token: str, sessions: list[dict[str, Any]], request_id: str
) -> None:
    """Push sessions through the real ingest app (in-process), gzipped as av-client sends them
    (so sessions of several megabytes fit the ingest body limits)."""
    from ingest_fn.app import create_app

    app = create_app(
        IngestSettings(database_url=ingest_dsn, environment="local", device_rate_per_minute=100_000)
    )
    body = {"protocol": 1, "request_id": request_id, "sessions": sessions}
    try:
        with TestClient(app, base_url="https://testserver") as client:
            resp = client.post(
                "/v1/push",
                headers={
                    "Authorization": f"Bearer {device_token}",
                    "Content-Type": "application/json",
                    "Content-Encoding": "gzip",
                },
                content=gzip.compress(json.dumps(body).encode(), 5),
            )
            assert resp.status_code == 200, resp.text
            statuses = [r["status"] for r in resp.json()["results"]]
            assert statuses == ["applied"] * len(sessions), resp.json()
    finally:
        app.state.db.close()


def push_samples(ingest_dsn: str, device_token: str) -> None:
    """The sample sessions: tools (with a subagent child), big, codex, and the hostile one."""
    now = datetime.now(UTC)
    sessions = [
        tools_session(now),
        subagent_session(now),
        big_session(now),
        codex_session(now),
        hostile_session(now),
    ]
    push_sessions(ingest_dsn, device_token, sessions, "browser-test-1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str  # ends with "/"


@contextmanager
def serve_app(app: Any, tls_dir: Path, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """An ASGI app under uvicorn with the local CA's TLS, in a thread; yields its origin
    (``host`` is the name the URL uses; the server listens on 127.0.0.1)."""
    ca = LocalCA(tls_dir)
    ca.ensure()
    port = port or free_port()
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
    thread = threading.Thread(target=server.run, name=f"server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"https://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_viewer(
    viewer_dsn: str, tls_dir: Path, *, base_path: str = "", cors_origins: tuple[str, ...] = ()
) -> Iterator[Served]:
    """The real viewer app under uvicorn with TLS, in a thread; stopped on exit."""
    from viewer_fn.app import create_app

    app = create_app(
        ViewerSettings(
            database_url=viewer_dsn,
            session_secret="s" * 40,
            environment="local",
            base_path=base_path,
            cors_origins=cors_origins,
        )
    )
    try:
        with serve_app(app, tls_dir) as origin:
            yield Served(f"{origin}{base_path}/")
    finally:
        app.state.db.close()


def static_host(api_url: str, connect_src: str) -> Any:
    """The built page as any static host would serve it, apart from the API: ``index.html`` with
    the API's URL in ``<meta name="av-api-base">`` (docs/web.md step 1), the hashed files as they
    are, and the viewer's security headers with the API added to ``connect-src`` (step 3)."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from avcore.web import SECURITY_HEADERS
    from viewer_fn.static_files import static_asset

    site = Path(__file__).resolve().parents[2] / "viewer_fn" / "site"
    index = (
        (site / "index.html")
        .read_text()
        .replace('<meta name="av-api-base" content="" />', f'<meta name="av-api-base" content="{api_url}" />')
    )
    assert api_url in index, "the built index.html has no empty av-api-base to fill"
    headers = dict(SECURITY_HEADERS)
    headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
        "connect-src 'self'", f"connect-src 'self' {connect_src}"
    )

    def page(request: Any) -> Response:
        return Response(index, media_type="text/html; charset=utf-8", headers=headers)

    def static(request: Any) -> Response:
        asset = static_asset(request.path_params["name"])
        if asset is None:
            return Response(status_code=404)
        return Response(asset.body, media_type=asset.content_type, headers=headers)

    return Starlette(routes=[Route("/", page), Route("/static/{name}", static)])
