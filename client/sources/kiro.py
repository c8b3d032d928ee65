"""Kiro CLI (``kiro``): the current SQLite store and the older JSONL sessions.

* Current: ``~/.local/share/kiro-cli/data.sqlite3``, table ``conversations_v2(key
  (the working directory), conversation_id, value (JSON), created_at,
  updated_at (ms))``. The same conversation can sit under several keys: the row
  updated last is the live one. ``value.history`` is a list of turns ``{user,
  assistant, request_metadata}``: the user's ``content.Prompt.prompt`` (or
  ``ToolUseResults``, the results of earlier calls) and ``timestamp``; the
  assistant's ``Response`` or ``ToolUse`` (``content``, ``tool_uses[]`` with
  ``id``, ``name``, ``args``) and ``request_metadata.stream_end_timestamp_ms``.
  Cwd: the row key, else the first turn's ``current_working_directory``. A
  value that is not JSON is reported; the other conversations are kept.
* Legacy: ``~/.kiro/sessions/cli/<id>.jsonl`` with an optional ``<id>.json``
  (``session_id``, ``cwd``, ``title``, ``created_at``, ``updated_at``). Lines
  ``{kind, data}``: ``Prompt``, ``AssistantMessage`` (``text`` and ``toolUse``
  blocks) and ``ToolResults`` (``toolResult`` blocks for earlier calls). No
  per-line times.
* ``KIRO_SESSIONS_DIR`` replaces both defaults; a root may hold either
  (``data.sqlite3``, ``kiro-cli/data.sqlite3``, ``*.jsonl``,
  ``sessions/cli/*.jsonl``). Databases are listed first, so when one
  conversation is in both stores the database's copy is the one pushed.
  Kiro records no model, thinking or token usage.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, Session, ToolCall
from client.sources.base import Source
from client.sources.paths import anywhere

from .records import iso, loads_or_none, obj, read_json, read_jsonl, string, text_of
from .sqlite_store import read_store, table_columns
from .turns import SessionInfo, Turn, result_text, session

DATABASE = "data.sqlite3"


def discover_kiro(root: Path) -> list[Path]:
    root = Path(root)
    dbs = [p for p in (root / DATABASE, root / "kiro-cli" / DATABASE) if p.is_file()]
    logs: list[Path] = []
    for folder in (root, root / "sessions" / "cli"):
        try:
            logs += [p for p in folder.glob("*.jsonl") if p.is_file()]
        except OSError:
            pass
    return dbs + sorted(logs)


def kiro_dependencies(path: Path, sessions: Sequence[Session]) -> list[Path]:
    if path.name == DATABASE:
        return [path.with_name(path.name + "-wal")]
    return [path.with_suffix(".json")]


# -- the current store ---------------------------------------------------------------------


def _fetch(con: sqlite3.Connection) -> list[Any] | str:
    if not {"key", "conversation_id", "value"} <= table_columns(con, "conversations_v2"):
        return "not a Kiro database (no conversations_v2 table)"
    return con.execute(
        "SELECT key, conversation_id, value, created_at, updated_at FROM conversations_v2 "
        "ORDER BY conversation_id, updated_at"
    ).fetchall()


def _results(results: Any, calls: dict[str, ToolCall]) -> None:
    for r in results if type(results) is list else ():
        call = calls.get(string(r, "tool_use_id", "toolUseId"))
        if call is None:
            continue
        content = r.get("content")
        texts = []
        for item in content if type(content) is list else [content]:
            if type(item) is dict:
                value = item.get("Text", item.get("Json", item.get("text")))
                texts.append(value if type(value) is str else result_text(value) or "")
            elif type(item) is str:
                texts.append(item)
        call.result_content = "\n".join(t for t in texts if t)
        call.result_is_error = str(r.get("status", "")).lower() == "error"


def _turns(history: Any) -> tuple[list[Message | None], str | None]:
    out: list[Message | None] = []
    calls: dict[str, ToolCall] = {}
    cwd = None
    for turn in history if type(history) is list else ():
        if type(turn) is not dict:
            continue
        user = obj(turn, "user")
        cwd = cwd or string(obj(obj(user, "env_context"), "env_state"), "current_working_directory") or None
        content = obj(user, "content")
        t = Turn("user", iso(user.get("timestamp")))
        t.text(string(obj(content, "Prompt"), "prompt"))
        _results(obj(content, "ToolUseResults").get("tool_use_results"), calls)
        out.append(t.message())
        assistant = obj(turn, "assistant")
        reply = obj(assistant, "Response") or obj(assistant, "ToolUse")
        a = Turn("assistant", iso(obj(turn, "request_metadata").get("stream_end_timestamp_ms")))
        a.text(string(reply, "content"))
        uses = reply.get("tool_uses")
        for use in uses if type(uses) is list else ():
            if type(use) is dict and string(use, "name"):
                call = a.tool(string(use, "name"), string(use, "id"), use.get("args"))
                if call.tool_use_id:
                    calls[call.tool_use_id] = call
        out.append(a.message())
    return out, cwd


def _parse_database(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    spath = str(path)
    rows = read_store(path, _fetch)
    if isinstance(rows, ParseProblem):
        return [], [rows]
    if isinstance(rows, str):
        return [], [ParseProblem(spath, None, rows)]
    live: dict[str, Any] = {}
    for row in rows:  # ordered by updated_at: the last row of an id is the live one
        live[text_of(row[1]) or ""] = row
    sessions, problems = [], []
    for cid, (key, _, value, created, updated) in sorted(live.items()):
        doc = loads_or_none(value)
        if type(doc) is not dict:
            problems.append(ParseProblem(spath, None, f"conversation {cid}: value is not JSON"))
            continue
        messages, first_cwd = _turns(doc.get("history"))
        info = SessionInfo(
            session_id=f"kiro:{cid}",
            agent="kiro",
            source_path=spath,
            cwd=text_of(key) or first_cwd,
            stamps=[iso(created), iso(updated)],
        )
        built = session(info, messages)
        if built is not None:
            sessions.append(built)
    return sessions, problems


# -- the legacy store ----------------------------------------------------------------------


def _blocks(rec: dict[str, Any]) -> list[dict[str, Any]]:
    content = obj(rec, "data").get("content")
    return [b for b in content if type(b) is dict] if type(content) is list else []


def _parse_legacy(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    problems: list[ParseProblem] = []
    records = read_jsonl(path, problems)
    if records is None:
        return [], problems
    companion = path.with_suffix(".json")
    meta = read_json(companion, problems, what="companion file") if companion.is_file() else {}
    meta = meta if type(meta) is dict else {}
    messages: list[Message | None] = []
    calls: dict[str, ToolCall] = {}
    for _, rec in records:
        kind = rec.get("kind")
        if kind == "Prompt":
            t = Turn("user")
            for b in _blocks(rec):
                if b.get("kind") == "text":
                    t.text(string(b, "data"))
            messages.append(t.message())
        elif kind == "AssistantMessage":
            t = Turn("assistant")
            for b in _blocks(rec):
                if b.get("kind") == "text":
                    t.text(string(b, "data"))
                elif b.get("kind") == "toolUse":
                    use = obj(b, "data")
                    call = t.tool(string(use, "name") or "tool", string(use, "toolUseId"), use.get("input"))
                    if call.tool_use_id:
                        calls[call.tool_use_id] = call
            messages.append(t.message())
        elif kind == "ToolResults":
            for b in _blocks(rec):
                result = obj(b, "data")
                paired = calls.get(string(result, "toolUseId"))
                if paired is not None:
                    paired.result_content = result_text(result.get("content"))
    info = SessionInfo(
        session_id=f"kiro:{string(meta, 'session_id') or path.stem}",
        agent="kiro",
        source_path=str(path),
        cwd=string(meta, "cwd") or None,
        title=string(meta, "title") or None,
        stamps=[iso(meta.get("created_at")), iso(meta.get("updated_at"))],
    )
    built = session(info, messages)
    return ([built] if built else []), problems


def parse_kiro(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    return _parse_database(path) if path.name == DATABASE else _parse_legacy(path)


SOURCE = Source(
    name="kiro",
    label="Kiro CLI",
    env_var="KIRO_SESSIONS_DIR",
    # The current store first: a conversation in both is taken from it.
    locations=(anywhere("{data}/kiro-cli"), anywhere(".kiro/sessions/cli")),
    discover=discover_kiro,
    parse=parse_kiro,
    depends=kiro_dependencies,
)
