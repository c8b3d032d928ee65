"""Goose (``goose``): every session in one SQLite database, ``sessions.db``.

Location: ``~/.local/share/goose/sessions/sessions.db`` on Linux and macOS
(Goose uses the XDG layout on both), ``%APPDATA%\\Block\\goose\\data\\sessions``
on Windows; Goose's own ``GOOSE_PATH_ROOT=<root>`` moves it to
``<root>/data/sessions/sessions.db``, and it is also this source's override.
Read through :mod:`client.sources.sqlite_store` (WAL, one snapshot).

* ``sessions``: ``id``, ``name`` (else ``description``) as title,
  ``working_dir``, ``created_at``/``updated_at``, ``model_config_json.model_name``
  (the model), ``parent_session_id`` (a ``subagent`` child); columns missing in
  older databases read as empty.
* ``messages`` by ``id``: ``role`` user/assistant, ``created_timestamp`` (s or
  ms), ``metadata_json.userVisible = false`` rows are context the user never
  saw (skipped). ``content_json`` blocks: ``text``, ``thinking``,
  ``redactedThinking``, ``toolRequest``/``frontendToolRequest`` (``toolCall.value``
  name and arguments), ``toolResponse`` (in user rows: the result of that call,
  ``status`` ``error`` a failure, ``pending`` no result yet), ``image``, and
  notices (``toolConfirmationRequest``, ``actionRequired``,
  ``systemNotification``) kept as text.
* Usage: one ``usage_ledger`` row per model request, on the last assistant
  message at or before its time (its ``model``, else the session's). Without a
  ledger, the session's ``accumulated_*`` totals go on its last assistant
  message. Either way each token is counted once.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, Session, Usage
from client.sources.base import Source, sqlite_dependencies
from client.sources.paths import linux, macos, windows

from .records import iso, loads_or_none, number, obj, string, text_of
from .sqlite_store import read_store, table_columns
from .turns import SessionInfo, Turn, attach_usage, result_text, session

DATABASE = "sessions.db"
_SESSION_COLS = (
    "id", "name", "description", "working_dir", "created_at", "updated_at", "model_config_json",
    "parent_session_id", "session_type", "accumulated_input_tokens", "accumulated_output_tokens",
    "accumulated_cache_read_tokens", "accumulated_cache_write_tokens",
)  # fmt: skip
_MESSAGE_COLS = ("id", "session_id", "role", "content_json", "created_timestamp", "metadata_json")
_LEDGER_COLS = ("session_id", "created_timestamp", "model", "input_tokens", "output_tokens",
                "cache_read_tokens", "cache_write_tokens")  # fmt: skip


def discover_goose_db(root: Path) -> list[Path]:
    root = Path(root)
    for candidate in (root / DATABASE, root / "sessions" / DATABASE, root / "data" / "sessions" / DATABASE):
        if candidate.is_file():
            return [candidate]
    return []


def _select(con: sqlite3.Connection, table: str, wanted: tuple[str, ...], order: str) -> list[Any]:
    have = table_columns(con, table)
    if not have:
        return []
    cols = ", ".join(f'"{c}"' if c in have else "NULL" for c in wanted)
    return con.execute(f'SELECT {cols} FROM "{table}" ORDER BY {order}').fetchall()


def _fetch(con: sqlite3.Connection) -> tuple[list[Any], list[Any], list[Any]] | str:
    if "id" not in table_columns(con, "sessions") or "content_json" not in table_columns(con, "messages"):
        return "not a Goose database (no sessions/messages tables)"
    return (
        _select(con, "sessions", _SESSION_COLS, "id"),
        _select(con, "messages", _MESSAGE_COLS, "id"),
        _select(con, "usage_ledger", _LEDGER_COLS, "created_timestamp"),
    )


def _tool_result(block: dict[str, Any]) -> tuple[str | None, bool]:
    res = obj(block, "toolResult")
    status = res.get("status")
    if status == "error" or "error" in res:
        return result_text(res.get("error")) or "error", True
    if status not in (None, "success"):
        return None, False  # pending, or a status we do not know: no result yet
    value = res.get("value")
    content = value.get("content") if type(value) is dict else value
    return result_text(content), False


def _blocks(t: Turn, blocks: Any, calls: dict[str, Any]) -> None:
    for block in blocks if type(blocks) is list else ():
        if type(block) is not dict:
            continue
        kind = block.get("type")
        if kind == "text":
            t.text(string(block, "text"))
        elif kind == "thinking":
            t.thinking(string(block, "thinking", "text"))
        elif kind == "redactedThinking":
            t.thinking("[redacted thinking]")
        elif kind in ("toolRequest", "frontendToolRequest"):
            value = obj(obj(block, "toolCall"), "value")
            name = string(value, "name") or "tool"
            call = t.tool(name, string(block, "id"), value.get("arguments"))
            if call.tool_use_id:
                calls[call.tool_use_id] = call
        elif kind == "toolResponse":
            paired = calls.get(string(block, "id"))
            if paired is not None:
                paired.result_content, paired.result_is_error = _tool_result(block)
        elif kind == "image":
            t.text("[image]")
        elif kind in ("toolConfirmationRequest", "actionRequired", "systemNotification"):
            t.text(string(block, "message", "prompt", "reason", "msg"))


def _usage(inp: Any, out: Any, read: Any, write: Any) -> Usage:
    return Usage(
        input_tokens=number(inp),
        output_tokens=number(out),
        cache_read_tokens=number(read),
        cache_creation_tokens=number(write),
    )


def parse_goose_db(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    spath = str(path)
    fetched = read_store(path, _fetch)
    if isinstance(fetched, ParseProblem):
        return [], [fetched]
    if isinstance(fetched, str):
        return [], [ParseProblem(spath, None, fetched)]
    session_rows, message_rows, ledger_rows = fetched
    problems: list[ParseProblem] = []
    rows_by_session: dict[str, list[Any]] = defaultdict(list)
    for row in message_rows:
        rows_by_session[text_of(row[1]) or ""].append(row)
    ledger: dict[str, list[Any]] = defaultdict(list)
    for row in ledger_rows:
        ledger[text_of(row[0]) or ""].append(row)
    out = []
    for sid, name, desc, cwd, created, updated, model_json, parent, _kind, *acc in session_rows:
        sid = text_of(sid)
        if not sid:
            continue
        model = string(loads_or_none(model_json), "model_name") or None
        messages: list[Message] = []
        calls: dict[str, Any] = {}
        for mid, _, role, content, when, meta in rows_by_session.get(sid, []):
            if obj({"m": loads_or_none(meta)}, "m").get("userVisible") is False:
                continue
            blocks = loads_or_none(content)
            if blocks is None:
                problems.append(ParseProblem(spath, None, f"message {mid}: content_json is not JSON"))
                continue
            role = text_of(role)
            if role == "user":
                t = Turn("user", iso(when))
            elif role == "assistant":
                t = Turn("assistant", iso(when), model=model)
            else:
                continue
            _blocks(t, blocks, calls)
            m = t.message()
            if m is not None:
                messages.append(m)
        kept: list[Message | None] = list(messages)
        rows = ledger.get(sid, [])
        if rows:
            for _, when, row_model, inp, outp, read, write in rows:
                attach_usage(
                    kept,
                    _usage(inp, outp, read, write),
                    at=iso(when),
                    model=text_of(row_model) or model,
                    note="Token usage recorded by Goose",
                )
        elif any(number(v) for v in acc):
            attach_usage(kept, _usage(*acc), model=model, note="Token usage recorded by Goose")
        parent_id = text_of(parent)
        info = SessionInfo(
            session_id=f"goose:{sid}",
            agent="goose",
            source_path=spath,
            cwd=text_of(cwd) or None,
            title=text_of(name) or text_of(desc) or None,
            stamps=[iso(created), iso(updated)],
            parent_session_id=f"goose:{parent_id}" if parent_id else None,
            relationship="subagent",
        )
        built = session(info, kept)
        if built is not None:
            out.append(built)
    return out, problems


SOURCE = Source(
    name="goose",
    label="Goose",
    env_var="GOOSE_PATH_ROOT",
    locations=(
        linux("{data}/goose/sessions"),
        macos("{data}/goose/sessions"),
        windows("{appdata}/Block/goose/data/sessions"),
    ),
    discover=discover_goose_db,
    parse=parse_goose_db,
    depends=sqlite_dependencies,
)
