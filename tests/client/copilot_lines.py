"""Builders for GitHub Copilot CLI ``events.jsonl`` lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.client.claude_lines import jsonl

TS = "2026-02-01T09:00:00Z"


def event(kind: str, ts: str = TS, **data: Any) -> dict:
    return {"type": kind, "data": data, "timestamp": ts}


def start(sid: str = "cp-1", cwd: str = "/home/demo/projects/widget", branch: str = "main") -> dict:
    return event("session.start", sessionId=sid, context={"cwd": cwd, "branch": branch})


def user(text: str, ts: str = TS, **extra: Any) -> dict:
    return event("user.message", ts, content=text, **extra)


def assistant(text: str = "", ts: str = TS, **extra: Any) -> dict:
    return event("assistant.message", ts, content=text, **extra)


def request(call_id: str, name: str, args: Any) -> dict:
    return {"toolCallId": call_id, "name": name, "arguments": args}


def complete(call_id: str, result: Any, *, success: bool = True, ts: str = TS) -> dict:
    return event("tool.execution_complete", ts, toolCallId=call_id, success=success, result=result)


def shutdown(ts: str = TS, **models: dict[str, int]) -> dict:
    return event("session.shutdown", ts, modelMetrics={m: {"usage": u} for m, u in models.items()})


def write(
    root: Path, sid: str, lines: list[Any], *, flat: bool = False, trailing_newline: bool = True
) -> Path:
    state = root / "session-state"
    path = state / f"{sid}.jsonl" if flat else state / sid / "events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = jsonl(lines)
    path.write_bytes(data if trailing_newline else data[:-1])
    return path
