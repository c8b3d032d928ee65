"""Read queries for sessions and their messages. Values are always bound; only clause structure varies.

The list is keyset-paged on ``(last_activity, id)``, which the ``sessions_recent``
index serves directly; the total is counted once, on the first page, and carried
in the cursor after that (as agentsview does), so later pages skip the COUNT.
Children are keyset-paged on ``(start, id)``; messages, the minimap and in-session
search on the ordinal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from avcore.db import scalar
from viewer_fn.filters import Where

SESSION_COLUMNS = """
    m.name || ':' || s.session_id AS id, s.session_id, m.name AS machine, s.agent, s.project, s.cwd,
    s.git_branch, s.first_message, s.display_name, s.created_at, s.started_at, s.ended_at,
    s.last_activity, s.message_count, s.user_message_count, s.tool_call_count,
    s.parent_session_id, s.relationship, s.parent_tool_use_id, s.models, s.input_tokens,
    s.output_tokens, s.cache_creation_tokens, s.cache_read_tokens, s.peak_context_tokens,
    s.deleted_at, s.gone_locally_at, s.updated_at, s.change_seq AS version"""
LIST_SESSIONS_SQL = f"""
SELECT s.id AS pk, {SESSION_COLUMNS}
FROM sessions s JOIN machines m ON m.id = s.machine_id
WHERE {{where}}
ORDER BY s.last_activity DESC, s.id DESC
LIMIT %(limit)s"""
COUNT_SESSIONS_SQL = "SELECT count(*) FROM sessions s WHERE {where}"
GET_SESSION_SQL = f"""
SELECT s.id AS pk, {SESSION_COLUMNS}
FROM sessions s JOIN machines m ON m.id = s.machine_id
WHERE m.name = %(machine)s AND s.session_id = %(session_id)s AND s.deleted_at IS NULL"""
SESSION_VERSION_SQL = """
SELECT s.id, s.change_seq FROM sessions s JOIN machines m ON m.id = s.machine_id
WHERE m.name = %(machine)s AND s.session_id = %(session_id)s AND s.deleted_at IS NULL"""
# Every child, whatever its relationship (subagent, fork, continuation), oldest first.
# first_pushed_at is never null, so (start, id) is a total order a keyset can follow.
CHILD_START = "COALESCE(s.started_at, s.created_at, s.first_pushed_at)"
CHILDREN_SQL = f"""
SELECT s.id AS pk, {CHILD_START} AS sort_start, {SESSION_COLUMNS}
FROM sessions s JOIN machines m ON m.id = s.machine_id
WHERE s.machine_id = (SELECT machine_id FROM sessions WHERE id = %(pk)s)
  AND s.parent_session_id = (SELECT session_id FROM sessions WHERE id = %(pk)s)
  AND s.deleted_at IS NULL {{after}}
ORDER BY {CHILD_START}, s.id
LIMIT %(limit)s"""
CHILDREN_AFTER = f"AND ({CHILD_START}, s.id) > (%(after_ts)s, %(after_id)s)"


# Long texts are cut here, so megabytes never leave the database for a page: left() decompresses
# only the start of a compressed value (but an out-of-line lz4 value, as these columns are since
# migration 0001, is still read whole from the TOAST table first: PostgreSQL 15 fetches a slice
# only of a pglz value; bench/README.md, "what is left"). octet_length() (from the TOAST header,
# no decompression) spares both left() and char_length() -- which decompresses -- for every text
# that cannot be over the cut (at most `cut` bytes is at most `cut` characters). left() is not
# free even on a short text: on the 500-message page it took 9 of the query's 11 ms.
def _cut_text(column: str, alias: str, chars: str) -> str:
    longer = f"octet_length({column}) > %(cut)s"
    return (
        f"CASE WHEN {longer} THEN left({column}, %(cut)s) ELSE {column} END AS {alias},\n"
        f"       CASE WHEN {longer} THEN char_length({column}) END AS {chars}"
    )


MESSAGE_COLUMNS = f"""ordinal, role, {_cut_text("content", "content", "content_chars")},
       blocks, ts AS timestamp, model, message_key, has_thinking, has_tool_use,
       is_system, content_length, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens"""
MESSAGES_SQL = f"""
SELECT {MESSAGE_COLUMNS}
FROM messages
WHERE session_pk = %(pk)s AND {{range}}
ORDER BY ordinal {{direction}}
LIMIT %(limit)s"""
TOOL_CALLS_SQL = f"""
SELECT message_ordinal, call_index, tool_use_id, tool_name, category, skill_name,
       {_cut_text("input_json", "input_json", "input_chars")},
       {_cut_text("result_content", "result_content", "result_chars")},
       result_length, result_truncated, result_is_error, subagent_session_id
FROM tool_calls
WHERE session_pk = %(pk)s AND message_ordinal BETWEEN %(lo)s AND %(hi)s
ORDER BY message_ordinal, call_index"""
# One text of one message, a range of it: substr() of a compressed value decompresses only
# up to the range's end; char_length() gives the whole length.
TEXT_SQL = {
    "content": "SELECT content FROM messages WHERE session_pk = %(pk)s AND ordinal = %(ordinal)s",
    "tool_input": "SELECT input_json FROM tool_calls "
    "WHERE session_pk = %(pk)s AND message_ordinal = %(ordinal)s AND call_index = %(call_index)s",
    "tool_result": "SELECT result_content FROM tool_calls "
    "WHERE session_pk = %(pk)s AND message_ordinal = %(ordinal)s AND call_index = %(call_index)s",
    "block": "SELECT CASE WHEN jsonb_typeof(blocks #> %(path)s) = 'string' THEN blocks #>> %(path)s END "
    "FROM messages WHERE session_pk = %(pk)s AND ordinal = %(ordinal)s",
}
TEXT_RANGE_SQL = (
    "SELECT substr(t.v, %(from)s, %(n)s), char_length(t.v) FROM ({source}) AS t(v) WHERE t.v IS NOT NULL"
)
BLOCKS_SQL = "SELECT blocks FROM messages WHERE session_pk = %(pk)s AND ordinal = %(ordinal)s"
MINIMAP_SQL = """
SELECT ordinal, role, content_length, has_thinking, has_tool_use
FROM messages WHERE session_pk = %(pk)s AND ordinal >= %(start)s ORDER BY ordinal LIMIT %(limit)s"""
# In-session search is agentsview's: case-insensitive substring over the whole message
# and every tool output of one session (a primary-key range scan, never the whole table).
SESSION_SEARCH_SQL = r"""
SELECT ordinal FROM (
    SELECT ordinal FROM messages
    WHERE session_pk = %(pk)s AND ordinal >= %(start)s AND content ILIKE %(pattern)s ESCAPE '\'
    UNION
    SELECT message_ordinal FROM tool_calls
    WHERE session_pk = %(pk)s AND message_ordinal >= %(start)s
      AND (result_content ILIKE %(pattern)s ESCAPE '\' OR input_json ILIKE %(pattern)s ESCAPE '\')
) hits ORDER BY 1 LIMIT %(limit)s"""


def list_sessions(
    conn: psycopg.Connection,
    where: Where,
    *,
    limit: int,
    after: tuple[datetime, int] | None,
    with_total: bool,
) -> tuple[list[dict[str, Any]], int | None]:
    """One page (``limit + 1`` rows, so the caller knows whether there is a next one)."""
    total = None
    if with_total:
        total = scalar(conn.execute(COUNT_SESSIONS_SQL.format(where=where.sql), where.bind()).fetchone())
    if after is not None:
        where = where & Where(
            ("(s.last_activity, s.id) < (%(after_ts)s, %(after_id)s)",),
            {"after_ts": after[0], "after_id": after[1]},
        )
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(LIST_SESSIONS_SQL.format(where=where.sql), where.bind(limit=limit + 1))
        return cur.fetchall(), total


def get_session(conn: psycopg.Connection, *, machine: str, session_id: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(GET_SESSION_SQL, {"machine": machine, "session_id": session_id})
        return cur.fetchone()


def session_version(conn: psycopg.Connection, *, machine: str, session_id: str) -> tuple[int, int] | None:
    """(pk, change_seq): the cheap probe behind ETags and the change signal."""
    row = conn.execute(SESSION_VERSION_SQL, {"machine": machine, "session_id": session_id}).fetchone()
    return (row[0], row[1]) if row else None


def children(
    conn: psycopg.Connection, pk: int, *, limit: int, after: tuple[datetime, int] | None
) -> list[dict[str, Any]]:
    """Up to ``limit + 1`` children after the keyset ``after`` (start, pk)."""
    params: dict[str, Any] = {"pk": pk, "limit": limit + 1}
    if after is not None:
        params.update(after_ts=after[0], after_id=after[1])
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(CHILDREN_SQL.format(after=CHILDREN_AFTER if after else ""), params)
        return cur.fetchall()


def list_messages(
    conn: psycopg.Connection, *, pk: int, start: int | None, limit: int, descending: bool, cut: int
) -> list[dict[str, Any]]:
    """Messages with their tool calls, every text cut to ``cut`` characters (``*_chars``: the full
    length, set only where the text may be longer)."""
    if descending:
        rng, direction = ("ordinal <= %(start)s" if start is not None else "TRUE"), "DESC"
    else:
        rng, direction = ("ordinal >= %(start)s" if start is not None else "TRUE"), "ASC"
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            MESSAGES_SQL.format(range=rng, direction=direction),
            {"pk": pk, "start": start, "limit": limit, "cut": cut},
        )
        messages = cur.fetchall()
        attach_tool_calls(cur, pk, messages, cut)
    return messages


def attach_tool_calls(cur: psycopg.Cursor[Any], pk: int, messages: list[dict[str, Any]], cut: int) -> None:
    if not messages:
        return
    # A page is every message of one ordinal range, so its tool calls are one primary-key range
    # (a range scan, not one index probe per ordinal of an ANY() list).
    ordinals = [m["ordinal"] for m in messages]
    cur.execute(TOOL_CALLS_SQL, {"pk": pk, "lo": min(ordinals), "hi": max(ordinals), "cut": cut})
    calls: dict[int, list[dict[str, Any]]] = {}
    for call in cur.fetchall():
        calls.setdefault(call.pop("message_ordinal"), []).append(call)
    for msg in messages:
        msg["tool_calls"] = calls.get(msg["ordinal"], [])


def text_range(
    conn: psycopg.Connection,
    *,
    pk: int,
    ordinal: int,
    part: str,
    call_index: int | None,
    path: list[str] | None,
    offset: int,
    limit: int,
) -> tuple[str, int] | None:
    """Characters ``offset`` … ``offset + limit`` of one text and its whole length; None when the
    message, call or string does not exist (parts content, tool_input, tool_result, block)."""
    params = {
        "pk": pk,
        "ordinal": ordinal,
        "call_index": call_index,
        "path": path,
        "from": offset + 1,
        "n": limit,
    }
    row = conn.execute(TEXT_RANGE_SQL.format(source=TEXT_SQL[part]), params).fetchone()
    return (row[0], row[1]) if row else None


def message_blocks(conn: psycopg.Connection, *, pk: int, ordinal: int) -> Any:
    """The message's ``blocks`` (None when it has none or does not exist)."""
    row = conn.execute(BLOCKS_SQL, {"pk": pk, "ordinal": ordinal}).fetchone()
    return row[0] if row else None


def minimap(conn: psycopg.Connection, *, pk: int, start: int, limit: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(MINIMAP_SQL, {"pk": pk, "start": start, "limit": limit})
        return cur.fetchall()


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards escaped, so the user's text is matched literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_in_session(conn: psycopg.Connection, *, pk: int, q: str, start: int, limit: int) -> list[int]:
    """Up to ``limit`` matching ordinals from ``start`` on, ascending."""
    params = {"pk": pk, "pattern": like_pattern(q), "start": start, "limit": limit}
    return [r[0] for r in conn.execute(SESSION_SEARCH_SQL, params)]
