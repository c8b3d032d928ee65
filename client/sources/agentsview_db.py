"""Import sessions from an existing agentsview SQLite database (migration path).

``~/.agentsview/sessions.db`` (``AGENTSVIEW_DB`` overrides) already holds
every session agentsview parsed, whatever agent wrote it; its ids already
carry agentsview's agent prefixes (``codex:``, ``gemini:``...), so they are
kept as they are, and ``agent`` comes from its ``agent`` column.

Design:

* Read through :mod:`client.sources.sqlite_store` (read-only, one snapshot,
  WAL included): agentsview may be running and must never see us write.
* Every byte arrives: a text value that is not UTF-8 (or holds a lone
  surrogate) is repaired to U+FFFD instead of failing the whole import
  (:mod:`client.sources.sqlite_store` reads text with ``decoding.text``).
* Tolerant of older and newer schemas: ``PRAGMA table_info`` says which
  columns exist and only those are selected (missing ones read as NULL). Only
  ``sessions.id`` and ``messages(session_id, ordinal, role, content)`` are
  required; without them the file is one :class:`ParseProblem`.
* Deleted sessions (``deleted_at`` set) are skipped.
* Tool calls attach to messages by ``message_id`` (local schema) or, failing
  that, ``message_ordinal`` (the PostgreSQL-style schema).
* Usage: ``token_usage`` JSON (agentsview normalises every agent to the
  Anthropic shape) or, without it, ``context_tokens`` / ``output_tokens``.
* Categories are agentsview's (``Read``, ``Bash``, ``Grep``...), lower-cased
  onto ours (``Grep``/``Glob`` -> ``search``). ``blocks`` stay ``None``: the
  database only has the flattened text, which the viewer renders as is.
* Ordinals are renumbered 0..n-1 in agentsview's order (the protocol needs
  consecutive ordinals; agentsview's are, unless rows were removed by hand).
* Three queries in all (sessions, messages, tool calls), grouped in Python.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any, cast, get_args

from client.model import Message, ParseProblem, Role, Session, ToolCall, Usage
from client.sources import decoding
from client.sources.base import Source, sqlite_dependencies
from client.sources.paths import anywhere
from client.sources.sqlite_store import StoreUnreadable, read_snapshot

from .claude_messages import usage_from

ROLES = get_args(Role)

_SESSION_COLS = (
    "id",
    "project",
    "agent",
    "cwd",
    "git_branch",
    "file_path",
    "first_message",
    "display_name",
    "created_at",
    "started_at",
    "ended_at",
    "parent_session_id",
    "relationship_type",
    "deleted_at",
)
_MESSAGE_COLS = (
    "id",
    "session_id",
    "ordinal",
    "role",
    "content",
    "timestamp",
    "has_thinking",
    "has_tool_use",
    "is_system",
    "model",
    "token_usage",
    "context_tokens",
    "output_tokens",
)
_TOOL_COLS = (
    "message_id",
    "message_ordinal",
    "session_id",
    "tool_name",
    "category",
    "tool_use_id",
    "input_json",
    "skill_name",
    "result_content",
    "subagent_session_id",
    "call_index",
)
_CATEGORIES = {"grep": "search", "glob": "search", "tool": "other", "": "other"}
_RELATIONSHIPS = frozenset({"", "subagent", "fork", "continuation"})


def agentsview_db_path() -> Path:
    """`$AGENTSVIEW_DB`, else `~/.agentsview/sessions.db`."""
    return SOURCE.default_root()


def discover_agentsview_db(root: Path) -> list[Path]:
    """``[db]`` if ``root`` is the database file or a directory holding ``sessions.db``."""
    root = Path(root)
    if root.is_file():
        return [root]
    candidate = root / "sessions.db"
    return [candidate] if candidate.is_file() else []


def _columns(con: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in con.execute(f"PRAGMA table_info({table})")}


def _select(table: str, wanted: tuple[str, ...], have: set[str]) -> str:
    # Quote every name ("timestamp" is a keyword); a missing column reads as NULL.
    cols = ", ".join(f'"{c}"' if c in have else f'NULL AS "{c}"' for c in wanted)
    return f"SELECT {cols} FROM {table}"


def _str(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        s = v
    elif isinstance(v, bytes):
        s = decoding.text(v)  # a BLOB where text was expected: its text, never "b'...'"
    else:
        s = str(v)
    return s or None


def _usage(raw: Any, context: Any, output: Any) -> Usage | None:
    if isinstance(raw, (str, bytes)) and raw:
        try:
            u = usage_from(decoding.loads(raw))
        except decoding.NotJSON:
            u = None
        if u is not None:
            return u
    ctx = context if isinstance(context, int) and context > 0 else 0
    out = output if isinstance(output, int) and output > 0 else 0
    return Usage(input_tokens=ctx, output_tokens=out) if ctx or out else None


def parse_agentsview_db(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    spath = str(path)
    try:
        with read_snapshot(path) as con:
            return _read(con, spath)
    except StoreUnreadable as exc:
        return [], [ParseProblem(spath, None, exc.reason, transient=exc.transient)]
    except sqlite3.Error as exc:
        return [], [ParseProblem(spath, None, f"cannot read database: {exc}")]


def _read(con: sqlite3.Connection, spath: str) -> tuple[list[Session], list[ParseProblem]]:
    s_cols, m_cols, t_cols = _columns(con, "sessions"), _columns(con, "messages"), _columns(con, "tool_calls")
    if "id" not in s_cols or not {"session_id", "ordinal", "role", "content"} <= m_cols:
        return [], [
            ParseProblem(spath, None, "not an agentsview database (sessions/messages tables missing)")
        ]
    problems: list[ParseProblem] = []

    calls_by_id: dict[Any, list[ToolCall]] = defaultdict(list)
    calls_by_ord: dict[tuple[str, int], list[ToolCall]] = defaultdict(list)
    by_id = "message_id" in t_cols and "id" in m_cols
    if {"session_id", "tool_name"} <= t_cols and (by_id or "message_ordinal" in t_cols):
        order = "call_index" if "call_index" in t_cols else "rowid"
        for row in con.execute(_select("tool_calls", _TOOL_COLS, t_cols) + f" ORDER BY {order}, rowid"):
            mid, mord, sid, name, cat, tuid, inp, skill, result, sub, idx = row
            category = (_str(cat) or "other").lower()
            call = ToolCall(
                call_index=idx if isinstance(idx, int) else 0,
                tool_name=_str(name) or "",
                tool_use_id=_str(tuid) or "",
                category=_CATEGORIES.get(category, category)[:64],
                input_json=_str(inp),
                skill_name=_str(skill),
                result_content=_str(result),
                subagent_session_id=_str(sub),
            )
            if by_id and mid is not None:
                bucket = calls_by_id[mid]
            elif isinstance(mord, int) and sid is not None:
                bucket = calls_by_ord[(str(sid), mord)]
            else:
                continue
            if not isinstance(idx, int):
                call.call_index = len(bucket)  # no call_index column: position in the message
            bucket.append(call)

    messages: dict[str, list[Message]] = defaultdict(list)
    for row in con.execute(_select("messages", _MESSAGE_COLS, m_cols) + " ORDER BY session_id, ordinal"):
        mid, sid, ordinal, role, content, ts, thinking, tool_use, is_system, model, usage, ctx, out = row
        if sid is None or not isinstance(ordinal, int):
            problems.append(ParseProblem(spath, None, f"message row without session/ordinal (id {mid})"))
            continue
        role = role if role in ROLES else "system"
        calls = calls_by_id.get(mid, []) if by_id else calls_by_ord.get((str(sid), ordinal), [])
        messages[str(sid)].append(
            Message(
                ordinal=ordinal,
                role=cast(Role, role),
                content=content if isinstance(content, str) else _str(content) or "",
                timestamp=_str(ts),
                model=_str(model),
                has_thinking=bool(thinking),
                has_tool_use=bool(tool_use) or bool(calls),
                is_system=bool(is_system) or role == "system",
                usage=_usage(usage, ctx, out),
                tool_calls=calls,
            )
        )

    sessions: list[Session] = []
    for row in con.execute(_select("sessions", _SESSION_COLS, s_cols) + " ORDER BY id"):
        (
            sid,
            project,
            agent,
            cwd,
            branch,
            file_path,
            first,
            display,
            created,
            started,
            ended,
            parent,
            rel,
            deleted,
        ) = row
        if deleted is not None or sid is None:
            continue
        msgs = messages.get(str(sid))
        if not msgs:
            continue  # nothing to show; agentsview keeps such rows for files it skipped
        for i, m in enumerate(msgs):
            m.ordinal = i  # the protocol wants 0, 1, 2...; a gap (deleted row) would be rejected
        rel = _str(rel) or ""
        sessions.append(
            Session(
                session_id=str(sid),
                agent=_str(agent) or "claude",  # agentsview's column default
                project=_str(project) or "",
                cwd=_str(cwd),
                git_branch=_str(branch),
                source_path=_str(file_path) or spath,
                first_message=_str(first),
                display_name=_str(display),
                created_at=_str(created),
                started_at=_str(started),
                ended_at=_str(ended),
                parent_session_id=_str(parent),
                relationship=rel if rel in _RELATIONSHIPS else "",  # type: ignore[arg-type]
                messages=msgs,
            )
        )
    return sessions, problems


SOURCE = Source(
    name="agentsview",
    label="agentsview database (import)",
    env_var="AGENTSVIEW_DB",
    locations=(anywhere(".agentsview/sessions.db"),),
    discover=discover_agentsview_db,
    parse=parse_agentsview_db,
    depends=sqlite_dependencies,
    kind="import",
)
