"""The OpenCode store, shared by OpenCode (``opencode``) and Kilo (``kilo``).

A data root holds a SQLite database (``opencode.db`` / ``kilo.db``) with every
session, and/or an older JSON tree ``storage/`` with one file per session,
message and part. Both are read; a session id present in ``storage/`` is taken
from there and skipped in the database (agentsview's precedence).

* The database is one path to parse (every session in it, from one snapshot,
  :mod:`client.sources.sqlite_store`); each storage session file is another,
  depending on its message and part files.
* Session: ``id``; ``parent_id``/``parentID`` makes it a ``subagent`` of that
  session (the parent's ``task`` call points at it through
  ``state.metadata.sessionId``); cwd = ``directory`` when it is a real path,
  else the project's ``worktree`` (not the global project's ``/``); title
  unless it is OpenCode's ``New session - …``/``Child session - …`` placeholder.
* Messages: ``data.role`` user/assistant (others skipped), ordered by creation
  time then id; parts by start/creation time then id. Parts: ``text`` (text or
  content), ``reasoning`` (thinking), ``tool`` (input, ``state.output`` as the
  result, ``state.error``/status ``error``, ``tool: "invalid"`` and a non-zero
  bash ``metadata.exit`` are failures; ``skill`` names its skill).
* Usage: the ``step-finish`` parts' ``tokens`` summed (one per model call;
  OpenCode overwrites the message's own ``tokens`` with each step's), else the
  message's ``tokens``. OpenCode's ``input`` excludes the cache and its
  ``output`` excludes reasoning, so output = output + reasoning. A ``tokens``
  object without any counter is "unknown" (no usage), zeros are zeros.
* A storage message or part file that is not JSON is reported and skipped;
  the rest of the session is kept.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, Session, ToolCall, Usage

from .records import iso, loads_or_none, number, read_json, string, text_of
from .sqlite_store import read_store, table_columns
from .turns import SessionInfo, Turn, result_text, session

_PLACEHOLDER_TITLE = re.compile(
    r"^(New session|Child session) - \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
)


@dataclass
class Row:
    """A message or part: its id, creation time (ms) and decoded ``data``."""

    id: str
    time: Any
    data: dict[str, Any]


@dataclass
class StoredSession:
    id: str
    parent_id: str | None
    title: str | None
    directory: str | None
    worktree: str | None
    created: Any
    updated: Any
    messages: list[Row]
    parts: dict[str, list[Row]]


# -- discovery ---------------------------------------------------------------------------


def discover_store(root: Path, database: str) -> list[Path]:
    """The database (if any), then every storage session file, sorted."""
    root = Path(root)
    found = []
    db = root / database
    if db.is_file():
        found.append(db)
    try:
        found += sorted(p for p in (root / "storage" / "session").glob("*/*.json") if p.is_file())
    except OSError:
        pass
    return found


def storage_session_ids(root: Path) -> set[str]:
    try:
        return {p.stem for p in (root / "storage" / "session").glob("*/*.json")}
    except OSError:
        return set()


def storage_dependencies(path: Path) -> list[Path]:
    """A storage session's parse reads its message and part files (and their folders)."""
    storage = path.parents[2]
    messages_dir = storage / "message" / path.stem
    deps = [messages_dir, storage / "project" / f"{path.parent.name}.json"]
    try:
        message_files = sorted(messages_dir.glob("*.json"))
    except OSError:
        return deps
    for m in message_files:
        parts_dir = storage / "part" / m.stem
        deps += [m, parts_dir]
        try:
            deps += sorted(parts_dir.glob("*.json"))
        except OSError:
            pass
    return deps


def store_dependencies(database: str) -> Any:
    def depends(path: Path, sessions: Sequence[Session]) -> list[Path]:
        if path.name == database:
            # Its sessions that also live in storage/ are skipped: that listing is part of the parse.
            return [path.with_name(path.name + "-wal"), path.parent / "storage" / "session"]
        return storage_dependencies(path)

    return depends


# -- reading -----------------------------------------------------------------------------


def parse_store_path(path: Path, *, agent: str, database: str) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    if path.name == database:
        return _parse_database(path, agent)
    return _parse_storage_session(path, agent)


_DB_SESSIONS = (
    "SELECT s.id, s.parent_id, s.title, {directory}, p.worktree, s.time_created, s.time_updated "
    "FROM session s LEFT JOIN project p ON p.id = s.project_id ORDER BY s.id"
)
_DB_MESSAGES = "SELECT id, session_id, time_created, data FROM message ORDER BY session_id, time_created, id"
_DB_PARTS = "SELECT id, message_id, time_created, data FROM part ORDER BY message_id, time_created, id"


def _fetch(con: sqlite3.Connection) -> tuple[list[Any], list[Any], list[Any]] | str:
    if not {"id", "project_id", "time_created", "time_updated"} <= table_columns(con, "session"):
        return "not an OpenCode database (no session table)"
    directory = "s.directory" if "directory" in table_columns(con, "session") else "NULL"
    return (
        con.execute(_DB_SESSIONS.format(directory=directory)).fetchall(),
        con.execute(_DB_MESSAGES).fetchall(),
        con.execute(_DB_PARTS).fetchall(),
    )


def _parse_database(path: Path, agent: str) -> tuple[list[Session], list[ParseProblem]]:
    spath = str(path)
    fetched = read_store(path, _fetch)
    if isinstance(fetched, ParseProblem):
        return [], [fetched]
    if isinstance(fetched, str):
        return [], [ParseProblem(spath, None, fetched)]
    session_rows, message_rows, part_rows = fetched
    problems: list[ParseProblem] = []
    messages: dict[str, list[Row]] = defaultdict(list)
    for mid, sid, created, data in message_rows:
        row = _row(mid, created, data, spath, problems, "message")
        if row is not None:
            messages[str(sid)].append(row)
    parts: dict[str, list[Row]] = defaultdict(list)
    for pid, mid, created, data in part_rows:
        row = _row(pid, created, data, spath, problems, "part")
        if row is not None:
            parts[str(mid)].append(row)
    shadowed = storage_session_ids(path.parent)
    out = []
    for sid, parent, title, directory, worktree, created, updated in session_rows:
        sid = text_of(sid)
        if not sid or sid in shadowed:
            continue
        stored = StoredSession(
            sid,
            text_of(parent),
            text_of(title),
            text_of(directory),
            text_of(worktree),
            created,
            updated,
            messages.get(sid, []),
            parts,
        )
        built = build_session(stored, agent, spath)
        if built is not None:
            out.append(built)
    return out, problems


def _row(
    rid: Any, created: Any, data: Any, spath: str, problems: list[ParseProblem], what: str
) -> Row | None:
    decoded = loads_or_none(data)
    if type(decoded) is not dict:
        problems.append(ParseProblem(spath, None, f"{what} {text_of(rid)}: data is not a JSON object"))
        return None
    return Row(text_of(rid) or "", created, decoded)


def _parse_storage_session(path: Path, agent: str) -> tuple[list[Session], list[ParseProblem]]:
    problems: list[ParseProblem] = []
    doc = read_json(path, problems, what="session file")
    if doc is None:
        return [], problems
    if type(doc) is not dict:
        return [], [ParseProblem(str(path), None, "session file is not a JSON object")]
    storage = path.parents[2]
    sid = string(doc, "id") or path.stem
    raw_times = doc.get("time")
    times: dict[str, Any] = raw_times if type(raw_times) is dict else {}
    project = read_json_quiet(storage / "project" / f"{path.parent.name}.json")
    rows: list[Row] = []
    parts: dict[str, list[Row]] = {}
    for mfile in sorted((storage / "message" / sid).glob("*.json")):
        m = read_json(mfile, problems, what="message file")
        if type(m) is not dict:
            continue
        mid = string(m, "id") or mfile.stem
        rows.append(Row(mid, _first_time(m.get("time"), "created", "start", "end", "updated"), m))
        prows = []
        for pfile in sorted((storage / "part" / mid).glob("*.json")):
            p = read_json(pfile, problems, what="part file")
            if type(p) is dict:
                prows.append(
                    Row(string(p, "id") or pfile.stem, _first_time(p.get("time"), "start", "created"), p)
                )
        parts[mid] = prows
    stored = StoredSession(
        sid,
        string(doc, "parentID") or None,
        string(doc, "title") or None,
        string(doc, "directory") or None,
        string(project, "worktree") or None,
        times.get("created"),
        times.get("updated"),
        rows,
        parts,
    )
    built = build_session(stored, agent, str(path))
    return ([built] if built else []), problems


def read_json_quiet(path: Path) -> Any:
    return read_json(path, [], what="project file") if path.is_file() else None


def _first_time(times: Any, *keys: str) -> Any:
    if type(times) is dict:
        for key in keys:
            if type(times.get(key)) in (int, float):
                return times[key]
    return None


# -- building ----------------------------------------------------------------------------


def _order(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.time if type(r.time) in (int, float) else 0, r.id))


def build_session(s: StoredSession, agent: str, source_path: str) -> Session | None:
    cwd = s.directory if s.directory and s.directory != "/" else None
    if cwd is None and s.worktree and s.worktree != "/":
        cwd = s.worktree
    title = s.title if s.title and not _PLACEHOLDER_TITLE.match(s.title) else None
    messages = [_message(m, _order(s.parts.get(m.id, [])), agent) for m in _order(s.messages)]
    info = SessionInfo(
        session_id=f"{agent}:{s.id}",
        agent=agent,
        source_path=source_path,
        cwd=cwd,
        title=title,
        started_at=iso(s.created),
        ended_at=iso(s.updated),
        parent_session_id=f"{agent}:{s.parent_id}" if s.parent_id else None,
        relationship="subagent",
    )
    return session(info, messages)


def _message(m: Row, parts: list[Row], agent: str) -> Message | None:
    role = m.data.get("role")
    if role not in ("user", "assistant"):
        return None
    model = string(m.data, "modelID") or string(m.data.get("model"), "modelID") or None
    t = Turn(role, iso(m.time), model=model if role == "assistant" else None)
    steps = []
    for p in parts:
        kind = p.data.get("type")
        if kind == "text":
            t.text(string(p.data, "text", "content"))
        elif kind == "reasoning":
            t.thinking(string(p.data, "text", "content"))
        elif kind == "tool":
            _tool(t, p.data, agent)
        elif kind == "step-finish" and type(p.data.get("tokens")) is dict:
            steps.append(p.data["tokens"])
    if role == "assistant":
        t.usage = (
            _usage(steps)
            if steps
            else _usage([m.data["tokens"]])
            if type(m.data.get("tokens")) is dict
            else None
        )
    return t.message()


_COUNTERS = ("input", "output", "reasoning", "cache")


def _usage(all_tokens: list[dict[str, Any]]) -> Usage | None:
    if not any(k in tokens for tokens in all_tokens for k in _COUNTERS):
        return None  # "{}": unknown, not zero
    u = Usage()
    for tokens in all_tokens:
        raw_cache = tokens.get("cache")
        cache: dict[str, Any] = raw_cache if type(raw_cache) is dict else {}
        u.input_tokens += number(tokens.get("input"))
        u.output_tokens += number(tokens.get("output")) + number(tokens.get("reasoning"))
        u.cache_read_tokens += number(cache.get("read"))
        u.cache_creation_tokens += number(cache.get("write"))
    return u


def _tool(t: Turn, data: dict[str, Any], agent: str) -> ToolCall | None:
    name = string(data, "tool")
    if not name:
        return None
    raw_state = data.get("state")
    state: dict[str, Any] = raw_state if type(raw_state) is dict else {}
    args = state.get("input")
    raw_meta = state.get("metadata")
    meta: dict[str, Any] = raw_meta if type(raw_meta) is dict else {}
    error = string(state, "error")
    result = result_text(state.get("output")) if "output" in state else (error or None)
    exit_code = meta.get("exit")
    failed = (
        name == "invalid"
        or state.get("status") == "error"
        or bool(error)
        or (type(exit_code) is int and exit_code != 0)
    )
    skill = string(args, "skill", "name") if name == "skill" else ""
    call = t.tool(name, string(data, "callID"), args, result=result, is_error=failed, skill=skill or None)
    child = string(meta, "sessionId", "sessionID")
    if child:
        call.subagent_session_id = f"{agent}:{child}"
    return call
