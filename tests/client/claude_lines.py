"""Builders for Claude Code JSONL lines (like agentsview's ``testjsonl``).

Each function returns one dict shaped like a real Claude Code log line;
``jsonl`` serialises a list of them. Only the fields the parser reads are set,
plus the usual envelope (``sessionId``, ``cwd``, ``uuid``...) when given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

SID = "11111111-2222-3333-4444-555555555555"
CWD = "/home/demo/projects/widget"


def _envelope(kind: str, ts: str, sid: str, uuid: str | None, parent: str | None, **extra: Any) -> dict:
    line: dict[str, Any] = {"type": kind, "timestamp": ts, "sessionId": sid, "cwd": CWD, "gitBranch": "main"}
    if uuid is not None:
        line["uuid"] = uuid
        line["parentUuid"] = parent
    line.update(extra)
    return line


def user(
    text: str | list,
    ts: str = "2026-01-05T10:00:00.000Z",
    *,
    sid: str = SID,
    uuid: str | None = None,
    parent: str | None = None,
    **extra: Any,
) -> dict:
    return _envelope("user", ts, sid, uuid, parent, message={"role": "user", "content": text}, **extra)


def text_block(text: str) -> dict:
    return {"type": "text", "text": text}


def thinking_block(text: str) -> dict:
    return {"type": "thinking", "thinking": text, "signature": "sig"}


def tool_use_block(tool_id: str, name: str, inp: dict) -> dict:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": inp}


def usage(inp: int = 10, out: int = 5, cache_create: int = 0, cache_read: int = 0) -> dict:
    return {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_creation_input_tokens": cache_create,
        "cache_read_input_tokens": cache_read,
    }


def assistant(
    blocks: list[dict],
    ts: str = "2026-01-05T10:00:05.000Z",
    *,
    mid: str = "msg_1",
    model: str = "claude-sonnet-4-5-20250929",
    use: dict | None = None,
    sid: str = SID,
    uuid: str | None = None,
    parent: str | None = None,
    **extra: Any,
) -> dict:
    msg = {
        "id": mid,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "usage": use if use is not None else usage(),
    }
    return _envelope("assistant", ts, sid, uuid, parent, message=msg, **extra)


def tool_result(
    tool_id: str,
    content: str | list,
    ts: str = "2026-01-05T10:00:06.000Z",
    *,
    is_error: bool = False,
    sid: str = SID,
    uuid: str | None = None,
    parent: str | None = None,
    **extra: Any,
) -> dict:
    block = {"type": "tool_result", "tool_use_id": tool_id, "content": content, "is_error": is_error}
    return _envelope("user", ts, sid, uuid, parent, message={"role": "user", "content": [block]}, **extra)


def progress(
    parent_tool_use_id: str, agent_id: str, ts: str = "2026-01-05T10:00:07.000Z", *, sid: str = SID
) -> dict:
    return {
        "type": "progress",
        "timestamp": ts,
        "sessionId": sid,
        "parentToolUseID": parent_tool_use_id,
        "toolUseID": "agent_msg_x",
        "data": {"type": "agent_progress", "agentId": agent_id, "prompt": "", "message": {"type": "user"}},
    }


def queue_enqueue(
    tool_use_id: str,
    task_id: str,
    ts: str = "2026-01-05T10:00:07.000Z",
    *,
    as_xml: bool = False,
    sid: str = SID,
) -> dict:
    if as_xml:
        content = f"<task-notification>\n<task-id>{task_id}</task-id>\n<tool-use-id>{tool_use_id}</tool-use-id>\n</task-notification>"
    else:
        content = orjson.dumps({"tool_use_id": tool_use_id, "task_id": task_id}).decode()
    return {
        "type": "queue-operation",
        "operation": "enqueue",
        "timestamp": ts,
        "sessionId": sid,
        "content": content,
    }


def snapshot(ts: str) -> dict:
    return {"type": "file-history-snapshot", "messageId": "m", "snapshot": {"timestamp": ts}}


def jsonl(lines: list[dict | str | bytes]) -> bytes:
    out = []
    for line in lines:
        if isinstance(line, dict):
            out.append(orjson.dumps(line))
        elif isinstance(line, str):
            out.append(line.encode())
        else:
            out.append(line)
    return b"\n".join(out) + b"\n"


def write(path: Path, lines: list[dict | str | bytes], *, trailing_newline: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = jsonl(lines)
    path.write_bytes(data if trailing_newline else data[:-1])
    return path
