"""Warp (``warp``): agent conversations in Warp's SQLite database, ``warp.sqlite``.

Location (the folder holding ``warp.sqlite``; ``WARP_DIR`` overrides): macOS
``~/Library/Group Containers/2BBY89MBSN.dev.warp/Library/Application
Support/dev.warp.Warp-Stable``, Linux ``~/.local/state/warp-terminal``, Windows
``%LOCALAPPDATA%\\warp\\Warp\\data``. Read through
:mod:`client.sources.sqlite_store` (WAL, one snapshot).

Warp keeps little of a conversation, and this source keeps all of it:

* One session per ``agent_conversations.conversation_id``; its exchanges are the
  ``ai_queries`` rows with that id, by ``start_ts``. An exchange whose ``input``
  holds a ``Query`` is a user message (its text); ``[]`` is a follow-up model
  turn with nothing to show. A conversation without any query text is no
  session. Cwd: the first ``working_directory``; start/end: the first and last
  ``start_ts``.
* The model's replies are not stored. Tool use exists only as counts per kind
  in ``conversation_data.conversation_usage_metadata.tool_usage_metadata``
  (``run_command_stats.count``…): one assistant message lists them, with one
  tool call per counted call (no input, no result), so tool statistics add up.
* Token usage is a per-model total in Warp's own unit (``warp_tokens``,
  ``byok_tokens``) with no input/output split; it is shown on that message, not
  counted as input or output tokens.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, Session
from client.sources.base import Source, sqlite_dependencies
from client.sources.paths import linux, macos, windows

from .records import iso, loads_or_none, number, obj, string, text_of
from .sqlite_store import read_store, table_columns
from .turns import SessionInfo, Turn, session

DATABASE = "warp.sqlite"
_TOOLS = {
    "run_command_stats": "run_command",
    "read_files_stats": "read_files",
    "search_codebase_stats": "search_codebase",
    "grep_stats": "grep",
    "file_glob_stats": "file_glob",
    "apply_file_diff_stats": "apply_file_diff",
    "write_to_long_running_shell_command_stats": "write_to_long_running_shell_command",
    "read_mcp_resource_stats": "read_mcp_resource",
    "call_mcp_tool_stats": "call_mcp_tool",
    "suggest_plan_stats": "suggest_plan",
    "suggest_create_plan_stats": "suggest_create_plan",
    "read_shell_command_output_stats": "read_shell_command_output",
    "use_computer_stats": "use_computer",
}
_CATEGORIES = {"run_command": "bash", "read_files": "read", "apply_file_diff": "edit", "call_mcp_tool": "mcp",
               "grep": "search", "file_glob": "search", "search_codebase": "search"}  # fmt: skip
MAX_SYNTHETIC_CALLS = 1000  # per tool kind: the counts come from Warp, not from records


def discover_warp_db(root: Path) -> list[Path]:
    db = Path(root) / DATABASE
    return [db] if db.is_file() else []


def _fetch(con: sqlite3.Connection) -> tuple[list[Any], list[Any]] | str:
    if not {"conversation_id", "conversation_data"} <= table_columns(con, "agent_conversations"):
        return "not a Warp database (no agent_conversations table)"
    queries: list[Any] = []
    if {"conversation_id", "start_ts", "input"} <= table_columns(con, "ai_queries"):
        queries = con.execute(
            "SELECT conversation_id, start_ts, input, working_directory, model_id FROM ai_queries ORDER BY start_ts, id"
        ).fetchall()
    return con.execute(
        "SELECT conversation_id, conversation_data FROM agent_conversations"
    ).fetchall(), queries


def _query_text(raw: Any) -> str:
    doc = loads_or_none(raw)
    parts = (
        [string(obj(item, "Query"), "text") for item in doc if type(item) is dict]
        if type(doc) is list
        else []
    )
    return "\n".join(p for p in parts if p)


def _summary(data: dict[str, Any], ts: str | None, model: str | None) -> Message | None:
    usage = obj(data, "conversation_usage_metadata")
    counts = {
        name: number(obj(obj(usage, "tool_usage_metadata"), key).get("count")) for key, name in _TOOLS.items()
    }
    tokens = usage.get("token_usage")
    spent = [
        f"{string(row, 'model_id') or 'model'} {number(row.get('warp_tokens')) + number(row.get('byok_tokens')):,}"
        for row in (tokens if type(tokens) is list else [])
        if type(row) is dict
    ]
    lines = []
    if any(counts.values()):
        lines.append(
            "Warp recorded tool use (counts only): " + ", ".join(f"{k} ×{n}" for k, n in counts.items() if n)
        )
    if spent:
        lines.append("Warp tokens (its own unit, not split into input and output): " + ", ".join(spent))
    if not lines:
        return None
    t = Turn("assistant", ts, model=model)
    t.text("\n".join(lines))
    for name, n in counts.items():
        for _ in range(min(n, MAX_SYNTHETIC_CALLS)):
            t.tool(name, "", None, category=_CATEGORIES.get(name), header="")
    return t.message()


def parse_warp_db(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    spath = str(path)
    fetched = read_store(path, _fetch)
    if isinstance(fetched, ParseProblem):
        return [], [fetched]
    if isinstance(fetched, str):
        return [], [ParseProblem(spath, None, fetched)]
    conversations, queries = fetched
    by_conversation: dict[str, list[Any]] = defaultdict(list)
    for row in queries:
        by_conversation[text_of(row[0]) or ""].append(row)
    sessions = []
    for cid, data in sorted(conversations, key=lambda r: text_of(r[0]) or ""):
        cid = text_of(cid) or ""
        rows = by_conversation.get(cid, [])
        messages: list[Message | None] = []
        cwd = model = None
        stamps = []
        for _, start, raw_input, workdir, model_id in rows:
            ts = iso(text_of(start))
            stamps.append(ts)
            cwd = cwd or text_of(workdir) or None
            model = text_of(model_id) or model
            text = _query_text(raw_input)
            if text:
                t = Turn("user", ts)
                t.text(text)
                messages.append(t.message())
        if not messages:
            continue  # no query text: nothing anyone typed
        doc = loads_or_none(data)
        summary = _summary(doc if type(doc) is dict else {}, stamps[-1] if stamps else None, model)
        messages.append(summary)
        info = SessionInfo(session_id=f"warp:{cid}", agent="warp", source_path=spath, cwd=cwd, stamps=stamps)
        built = session(info, messages)
        if built is not None:
            sessions.append(built)
    return sessions, []


SOURCE = Source(
    name="warp",
    label="Warp",
    env_var="WARP_DIR",
    locations=(
        macos(
            "Library/Group Containers/2BBY89MBSN.dev.warp/Library/Application Support/dev.warp.Warp-Stable"
        ),
        linux("{state}/warp-terminal"),
        windows("{localapp}/warp/Warp/data"),
    ),
    discover=discover_warp_db,
    parse=parse_warp_db,
    depends=sqlite_dependencies,
)
