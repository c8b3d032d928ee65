"""Builders for Codex rollout lines (like agentsview's ``testjsonl`` Codex helpers).

Each function returns one ``{timestamp, type, payload}`` dict shaped like a
line of a real ``rollout-*.jsonl``; ``write`` serialises them (reusing the
Claude builders' ``jsonl``).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson

from tests.client.claude_lines import jsonl

SID = "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
CWD = "/home/demo/projects/widget"
TS = "2026-01-05T10:00:00.000Z"
# Real reasoning items carry an opaque base64 blob of a few KB; the parser never reads it.
ENCRYPTED = "gAAAAABo" + "Q" * 2400


def _line(kind: str, payload: dict[str, Any], ts: str) -> dict[str, Any]:
    return {"timestamp": ts, "type": kind, "payload": payload}


def meta(
    ts: str = TS,
    *,
    sid: str = SID,
    cwd: str = CWD,
    originator: str = "codex_cli_rs",
    branch: str | None = "main",
    **extra: Any,
) -> dict:
    payload: dict[str, Any] = {
        "id": sid,
        "timestamp": ts,
        "cwd": cwd,
        "originator": originator,
        "cli_version": "0.46.0",
        "instructions": None,
    }
    if branch is not None:
        payload["git"] = {"commit_hash": "abc", "branch": branch}
    payload.update(extra)
    return _line("session_meta", payload, ts)


def turn_context(model: str = "gpt-5-codex", ts: str = TS, *, turn_id: str | None = None) -> dict:
    payload = {
        "cwd": CWD,
        "approval_policy": "on-request",
        "model": model,
        "effort": "medium",
        "summary": "auto",
    }
    if turn_id is not None:
        payload["turn_id"] = turn_id
    return _line("turn_context", payload, ts)


def v7(ms: int, n: int = 0) -> str:
    """A UUIDv7 created at Unix time ``ms`` (Codex's thread and turn ids), ``n`` as its random part."""
    return str(uuid.UUID(int=(ms << 80) | (7 << 76) | (2 << 62) | n))


def subagent_meta(sid: str, parent: str, ts: str = TS, *, legacy: bool = False) -> dict:
    """A spawned thread's ``session_meta``: current nested shape, or the older top-level keys."""
    if legacy:
        return meta(ts, sid=sid, thread_source="subagent", parent_thread_id=parent)
    return meta(ts, sid=sid, source={"subagent": {"thread_spawn": {"parent_thread_id": parent, "depth": 1}}})


def user(text: str, ts: str = TS) -> dict:
    return _line(
        "response_item",
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        ts,
    )


def assistant(text: str, ts: str = TS) -> dict:
    return _line(
        "response_item",
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]},
        ts,
    )


def reasoning(*summary: str, ts: str = TS, content: list[str] | None = None) -> dict:
    payload: dict[str, Any] = {
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": s} for s in summary],
        "encrypted_content": ENCRYPTED,
    }
    payload["content"] = [{"type": "reasoning_text", "text": c} for c in content] if content else None
    return _line("response_item", payload, ts)


def function_call(call_id: str, name: str, args: dict | str, ts: str = TS, **extra: Any) -> dict:
    arguments = args if isinstance(args, str) else orjson.dumps(args).decode()
    return _line(
        "response_item",
        {"type": "function_call", "name": name, "arguments": arguments, "call_id": call_id, **extra},
        ts,
    )


def function_output(call_id: str, output: Any, ts: str = TS) -> dict:
    return _line("response_item", {"type": "function_call_output", "call_id": call_id, "output": output}, ts)


def custom_call(call_id: str, name: str, inp: str, ts: str = TS) -> dict:
    return _line(
        "response_item",
        {"type": "custom_tool_call", "status": "completed", "call_id": call_id, "name": name, "input": inp},
        ts,
    )


def custom_output(call_id: str, output: str, ts: str = TS) -> dict:
    return _line(
        "response_item", {"type": "custom_tool_call_output", "call_id": call_id, "output": output}, ts
    )


def token_count(
    inp: int, cached: int, out: int, total: tuple[int, int, int] | None = None, ts: str = TS
) -> dict:
    last = {
        "input_tokens": inp,
        "cached_input_tokens": cached,
        "output_tokens": out,
        "reasoning_output_tokens": 0,
        "total_tokens": inp + out,
    }
    info = {"last_token_usage": last, "model_context_window": 272000}
    if total is not None:
        info["total_token_usage"] = {
            "input_tokens": total[0],
            "cached_input_tokens": total[1],
            "output_tokens": total[2],
            "reasoning_output_tokens": 0,
            "total_tokens": total[0] + total[2],
        }
    return _line("event_msg", {"type": "token_count", "info": info, "rate_limits": None}, ts)


def token_count_empty(ts: str = TS) -> dict:
    return _line("event_msg", {"type": "token_count", "info": None, "rate_limits": {"primary": None}}, ts)


def event(event_type: str, ts: str = TS, **payload: Any) -> dict:
    return _line("event_msg", {"type": event_type, **payload}, ts)


def write(path: Path, lines: list[dict | str | bytes], *, trailing_newline: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = jsonl(lines)
    path.write_bytes(data if trailing_newline else data[:-1])
    return path
