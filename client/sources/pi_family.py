"""The Pi session format, shared by Pi (``pi``) and OpenClaw (``openclaw``).

JSONL; every entry has ``type``. The first record (after blank lines and an Oh
My Pi ``title`` slot) is the header ``{"type": "session", "id", "timestamp",
"cwd", "branchedFrom"?}``; a file without it is not a session file.

* ``message`` entries hold ``message: {role, content, model, provider, usage,
  timestamp}``; ``content`` is a string or blocks: ``text``, ``image``,
  ``thinking`` (``thinking``; redacted blocks are empty), ``toolCall`` (``id``,
  ``name``, ``arguments``) or older ``tool_use`` (``input``).
* ``role: "toolResult"`` entries answer a call (``toolCallId``, ``content`` as
  a string or text blocks, ``isError``); they are not messages. A result whose
  call is not in the file is kept as a system message (nothing is lost); one
  without a call id is dropped.
* ``compaction`` entries become system messages holding their ``summary``.
* Model: the message's ``model``, else the latest ``model_change``.
* Usage: ``usage`` with ``input``/``output`` and cache reads/writes under any of
  the spellings seen (``cache.read``/``cache.write``, ``cacheRead``/
  ``cacheWrite``/``cacheCreation``, ``input_tokens``/``output_tokens``); the
  input excludes the cache. A ``usage`` object with none of them is unknown
  (none kept); zeros are zeros.
* Start/end: every entry's ``timestamp``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, ToolCall, Usage

from .records import iso, number, obj, read_jsonl, string
from .turns import Turn, result_text

_INPUT_KEYS = ("input", "input_tokens")
_OUTPUT_KEYS = ("output", "output_tokens")


@dataclass
class PiLog:
    header: dict[str, Any]
    messages: list[Message | None]
    stamps: list[str | None]
    title: str | None


def _pick(d: dict[str, Any], *keys: str) -> int:
    return next((number(d[k]) for k in keys if k in d), 0)


def pi_usage(raw: Any) -> Usage | None:
    if type(raw) is not dict:
        return None
    cache = obj(raw, "cache")
    known = ("input", "output", "input_tokens", "output_tokens", "cacheRead", "cacheWrite", "cacheCreation")
    if not cache and not any(k in raw for k in known):
        return None
    return Usage(
        input_tokens=_pick(raw, *_INPUT_KEYS),
        output_tokens=_pick(raw, *_OUTPUT_KEYS),
        cache_read_tokens=number(cache.get("read")) if "read" in cache else _pick(raw, "cacheRead"),
        cache_creation_tokens=number(cache.get("write"))
        if "write" in cache
        else _pick(raw, "cacheWrite", "cacheCreation"),
    )


def _content(t: Turn, content: Any, calls: dict[str, ToolCall]) -> None:
    if type(content) is str:
        t.text(content)
        return
    for block in content if type(content) is list else ():
        if type(block) is not dict:
            continue
        kind = block.get("type")
        if kind == "text":
            t.text(string(block, "text"))
        elif kind == "thinking":
            t.thinking(string(block, "thinking", "text"))
        elif kind == "image":
            t.text("[image]")
        elif kind in ("toolCall", "tool_use") and string(block, "name"):
            args = block.get("arguments") if "arguments" in block else block.get("input")
            call = t.tool(string(block, "name"), string(block, "id"), args)
            if call.tool_use_id:
                calls[call.tool_use_id] = call


def _result(msg: dict[str, Any], ts: str | None, calls: dict[str, ToolCall]) -> Message | None:
    cid = string(msg, "toolCallId")
    if not cid:
        return None
    content = msg.get("content")
    if type(content) is list:
        text = "\n".join(string(b, "text") for b in content if type(b) is dict and string(b, "text"))
    else:
        text = result_text(content) or ""
    call = calls.get(cid)
    if call is not None:
        call.result_content = text
        call.result_is_error = msg.get("isError") is True
        return None
    t = Turn("system", ts, is_system=True)
    t.text(f"[Tool result {cid}]\n{text}" if text else f"[Tool result {cid}]")
    return t.message()


def read_pi_log(path: Path, problems: list[ParseProblem]) -> PiLog | None:
    """The file's header and messages, or None when it is not a Pi-format session file."""
    records = read_jsonl(path, problems)
    if records is None:
        return None
    body = [r for _, r in records]
    while body and body[0].get("type") == "title":
        body.pop(0)
    if not body or body[0].get("type") != "session":
        problems.append(ParseProblem(str(path), None, "not a session file (no session header first)"))
        return None
    header, entries = body[0], body[1:]
    messages: list[Message | None] = []
    calls: dict[str, ToolCall] = {}
    stamps: list[str | None] = [iso(header.get("timestamp"))]
    model: str | None = None
    title: str | None = None
    for entry in entries:
        ts = iso(entry.get("timestamp"))
        stamps.append(ts)
        kind = entry.get("type")
        if kind == "model_change":
            model = string(entry, "modelId") or model
        elif kind == "session_info" and "name" in entry:
            title = string(entry, "name") or None
        elif kind == "compaction":
            t = Turn("system", ts, is_system=True)
            t.text(string(entry, "summary"))
            messages.append(t.message())
        elif kind == "message":
            msg = obj(entry, "message")
            role = msg.get("role")
            when = ts or iso(msg.get("timestamp"))
            if role == "toolResult":
                messages.append(_result(msg, when, calls))
            elif role in ("user", "assistant"):
                t = Turn(role, when)
                _content(t, msg.get("content"), calls)
                if role == "assistant":
                    t.model = string(msg, "model") or model
                    t.usage = pi_usage(msg.get("usage"))
                    if t.empty and t.usage is not None:
                        t.text("[empty response]")
                messages.append(t.message())
    return PiLog(header, messages, stamps, title)
