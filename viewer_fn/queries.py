"""Read queries for the viewer API. Values are always bound; only clause structure varies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

SESSION_COLUMNS = """
    m.name || ':' || s.session_id AS id, s.session_id, m.name AS machine, s.agent, s.project, s.cwd,
    s.git_branch, s.first_message, s.display_name, s.created_at, s.started_at, s.ended_at,
    s.last_activity, s.message_count, s.user_message_count, s.tool_call_count,
    s.parent_session_id, s.relationship, s.parent_tool_use_id, s.models, s.input_tokens,
    s.output_tokens, s.cache_creation_tokens, s.cache_read_tokens, s.peak_context_tokens,
    s.updated_at, s.change_seq AS version"""
LIST_SESSIONS_SQL = f"""
SELECT s.id AS pk, {SESSION_COLUMNS}
FROM sessions s JOIN machines m ON m.id = s.machine_id
WHERE {{where}}
ORDER BY s.last_activity DESC, s.id DESC
LIMIT %(limit)s"""
COUNT_SESSIONS_SQL = "SELECT count(*) FROM sessions s JOIN machines m ON m.id = s.machine_id WHERE {where}"
GET_SESSION_SQL = f"""
SELECT s.id AS pk, {SESSION_COLUMNS}
FROM sessions s JOIN machines m ON m.id = s.machine_id
WHERE m.name = %(machine)s AND s.session_id = %(session_id)s AND s.deleted_at IS NULL"""
MESSAGES_SQL = """
SELECT ordinal, role, content, blocks, ts AS timestamp, model, message_key, has_thinking, has_tool_use,
       is_system, content_length, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens
FROM messages
WHERE session_pk = %(pk)s AND {range}
ORDER BY ordinal {direction}
LIMIT %(limit)s"""
TOOL_CALLS_SQL = """
SELECT message_ordinal, call_index, tool_use_id, tool_name, category, input_json, skill_name,
       result_content, result_length, result_truncated, result_is_error, subagent_session_id
FROM tool_calls
WHERE session_pk = %(pk)s AND message_ordinal = ANY(%(ordinals)s)
ORDER BY message_ordinal, call_index"""


def list_sessions(
    conn: psycopg.Connection, *, limit: int, after: tuple[datetime, int] | None,
    include_children: bool = False, machine: list[str] | None = None, project: list[str] | None = None,
    agent: list[str] | None = None, with_total: bool = True,
) -> tuple[list[dict[str, Any]], int | None]:
    where = ["s.deleted_at IS NULL", "s.message_count > 0"]
    params: dict[str, Any] = {"limit": limit + 1}
    if not include_children:
        where.append("s.relationship NOT IN ('subagent', 'fork')")
    for column, values in (("m.name", machine), ("s.project", project), ("s.agent", agent)):
        if values:
            key = column.split(".")[1]
            where.append(f"{column} = ANY(%({key})s)")
            params[key] = values
    total = None
    with conn.cursor() as cur:
        if with_total:
            cur.execute(COUNT_SESSIONS_SQL.format(where=" AND ".join(where)), params)  # type: ignore[arg-type]
            total = cur.fetchone()[0]  # type: ignore[index]
    if after is not None:
        where.append("(s.last_activity, s.id) < (%(after_ts)s, %(after_id)s)")
        params.update(after_ts=after[0], after_id=after[1])
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(LIST_SESSIONS_SQL.format(where=" AND ".join(where)), params)  # type: ignore[arg-type]
        rows = cur.fetchall()
    return rows, total


def get_session(conn: psycopg.Connection, *, machine: str, session_id: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(GET_SESSION_SQL, {"machine": machine, "session_id": session_id})
        return cur.fetchone()


def list_messages(
    conn: psycopg.Connection, *, pk: int, start: int | None, limit: int, descending: bool
) -> list[dict[str, Any]]:
    if descending:
        rng, direction = ("ordinal <= %(start)s" if start is not None else "TRUE"), "DESC"
    else:
        rng, direction = ("ordinal >= %(start)s" if start is not None else "TRUE"), "ASC"
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(MESSAGES_SQL.format(range=rng, direction=direction),  # type: ignore[arg-type]
                    {"pk": pk, "start": start, "limit": limit})
        messages = cur.fetchall()
        if messages:
            cur.execute(TOOL_CALLS_SQL, {"pk": pk, "ordinals": [m["ordinal"] for m in messages]})
            calls: dict[int, list[dict[str, Any]]] = {}
            for call in cur.fetchall():
                calls.setdefault(call.pop("message_ordinal"), []).append(call)
            for msg in messages:
                msg["tool_calls"] = calls.get(msg["ordinal"], [])
    return messages
