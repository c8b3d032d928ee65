"""Zencoder (``zencoder``): ``~/.zencoder/sessions/<id>.jsonl``.

Line 1 is a header ``{id, parentId, creationReason, createdAt, updatedAt,
modelId}``; every later line is a record keyed by ``role``.

* Session id: header ``id``, else the file stem. ``parentId`` with a
  continuation reason (``directContinuation``, ``summarizedContinuation``,
  ``summarizationRequest``) makes this a ``continuation`` of that session; with
  ``newChat`` it is ignored. Start/end: header times widened by records'
  ``createdAt``. Cwd: the ``Working directory: …`` line of the system prompt.
* ``user``: text blocks without a tag or tagged ``user-input`` are what the
  person typed; other tags (instructions, reminders) and ``skill`` blocks are
  injected context and are left out.
* ``assistant``: ``text``, ``reasoning`` (thinking), ``tool-call``
  (``toolCallId``, ``toolName``, ``input``). ``tool`` records carry
  ``tool-result`` blocks (their untagged text is the output; ``isError``); a
  subagent spawn's result names the child in ``<session-id>…</session-id>``,
  which links the call to ``zencoder:<child>``.
* ``finish`` and ``permission`` records carry no transcript. No usage is kept.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, Session, ToolCall
from client.sources.base import Source
from client.sources.paths import anywhere

from .records import iso, read_jsonl, string
from .turns import SessionInfo, Turn, session

_CONTINUATIONS = frozenset({"directContinuation", "summarizedContinuation", "summarizationRequest"})
_WORKDIR = re.compile(r"^Working directory:\s*(\S.*?)\s*$", re.M)
_CHILD = re.compile(r"<session-id>\s*([^<\s]+)\s*</session-id>")


def discover_zencoder_files(root: Path) -> list[Path]:
    try:
        return sorted(p for p in Path(root).iterdir() if p.suffix == ".jsonl" and p.is_file())
    except OSError:
        return []


def _user(content: Any, ts: str | None) -> Message | None:
    t = Turn("user", ts)
    for block in content if type(content) is list else ():
        if type(block) is dict and block.get("type") == "text" and string(block, "tag") in ("", "user-input"):
            t.text(string(block, "text"))
    if type(content) is str:
        t.text(content)
    return t.message()


def _assistant(content: Any, ts: str | None, calls: dict[str, ToolCall]) -> Message | None:
    t = Turn("assistant", ts)
    for block in content if type(content) is list else ():
        if type(block) is not dict:
            continue
        kind = block.get("type")
        if kind == "text":
            t.text(string(block, "text"))
        elif kind == "reasoning":
            t.thinking(string(block, "text"))
        elif kind == "tool-call" and string(block, "toolName"):
            call = t.tool(string(block, "toolName"), string(block, "toolCallId"), block.get("input"))
            if call.tool_use_id:
                calls[call.tool_use_id] = call
    return t.message()


def _results(content: Any, calls: dict[str, ToolCall]) -> None:
    for block in content if type(content) is list else ():
        if type(block) is not dict or block.get("type") != "tool-result":
            continue
        call = calls.get(string(block, "toolCallId"))
        if call is None:
            continue
        inner = block.get("content")
        texts = [
            string(b, "text")
            for b in (inner if type(inner) is list else ())
            if type(b) is dict and not string(b, "tag") and string(b, "text")
        ]
        call.result_content = "\n".join(texts) if texts else (inner if type(inner) is str else None)
        call.result_is_error = block.get("isError") is True
        child = _CHILD.search(call.result_content or "")
        if child:
            call.subagent_session_id = f"zencoder:{child.group(1)}"
            call.category = "task"


def parse_zencoder_file(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    problems: list[ParseProblem] = []
    records = read_jsonl(path, problems)
    if records is None:
        return [], problems
    header = records[0][1] if records and records[0][0] == 1 and "role" not in records[0][1] else {}
    messages: list[Message | None] = []
    calls: dict[str, ToolCall] = {}
    stamps: list[str | None] = [iso(header.get("createdAt")), iso(header.get("updatedAt"))]
    cwd = None
    for _, rec in records:
        if rec is header:
            continue
        ts = iso(rec.get("createdAt"))
        stamps.append(ts)
        role, content = rec.get("role"), rec.get("content")
        if role == "system" and cwd is None and type(content) is str:
            found = _WORKDIR.search(content)
            cwd = found.group(1) if found else None
        elif role == "user":
            messages.append(_user(content, ts))
        elif role == "assistant":
            messages.append(_assistant(content, ts, calls))
        elif role == "tool":
            _results(content, calls)
    parent = string(header, "parentId")
    continues = bool(parent) and string(header, "creationReason") in _CONTINUATIONS
    info = SessionInfo(
        session_id=f"zencoder:{string(header, 'id') or path.stem}",
        agent="zencoder",
        source_path=str(path),
        cwd=cwd,
        stamps=stamps,
        parent_session_id=f"zencoder:{parent}" if continues else None,
        relationship="continuation",
    )
    built = session(info, messages)
    return ([built] if built else []), problems


SOURCE = Source(
    name="zencoder",
    label="Zencoder",
    env_var="ZENCODER_DIR",
    locations=(anywhere(".zencoder/sessions"),),
    discover=discover_zencoder_files,
    parse=parse_zencoder_file,
)
