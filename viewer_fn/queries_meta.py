"""Read queries for the value lists (projects, machines, agents), stats, sync status and the change signal.

Lists and stats count root sessions under the session-list filter (agentsview's
``include_one_shot`` and the rest). A list can be narrowed to names containing
``q`` (case-insensitive), for typeahead. ``max(change_seq)`` is one probe of the
``sessions_change`` index.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from avcore.db import scalar
from viewer_fn.filters import Where
from viewer_fn.queries_sessions import like_pattern

GROUP_COUNTS_SQL = """
SELECT {column} AS name, count(*) AS session_count, COALESCE(sum(s.message_count), 0) AS message_count,
       max(s.last_activity) AS last_activity
FROM sessions s {join}
WHERE {where}
GROUP BY 1 ORDER BY session_count DESC, name
LIMIT %(limit)s OFFSET %(offset)s"""
STATS_SQL = """
SELECT count(*) AS session_count, COALESCE(sum(s.message_count), 0) AS message_count,
       count(DISTINCT s.project) AS project_count, count(DISTINCT s.machine_id) AS machine_count,
       min(COALESCE(s.started_at, s.created_at)) AS earliest_session
FROM sessions s WHERE {where}"""
SYNC_STATUS_SQL = """
SELECT m.name AS machine, m.last_push_at, count(s.id) FILTER (WHERE s.deleted_at IS NULL) AS sessions,
       COALESCE(sum(s.message_count) FILTER (WHERE s.deleted_at IS NULL), 0) AS messages,
       max(s.updated_at) AS last_session_update
FROM machines m LEFT JOIN sessions s ON s.machine_id = m.id
GROUP BY m.id ORDER BY m.last_push_at DESC NULLS LAST, m.name"""
# The indexer's backlog (sessions written since they were indexed; the viewer scans them) and
# the sessions it could not index (migration 0005), newest first.
INDEXER_SQL = """
SELECT (SELECT count(*) FROM sessions s LEFT JOIN search_chunks_state st ON st.session_pk = s.id
        WHERE st.session_pk IS NULL OR st.indexed_seq < s.change_seq) AS pending_sessions,
       (SELECT count(*) FROM index_failures) AS failing_sessions"""
INDEX_FAILURES_SQL = """
SELECT m.name || ':' || s.session_id AS session_id, f.failed_at, f.error
FROM index_failures f JOIN sessions s ON s.id = f.session_pk JOIN machines m ON m.id = s.machine_id
ORDER BY f.failed_at DESC, f.session_pk LIMIT 100"""
GLOBAL_VERSION_SQL = "SELECT COALESCE(max(change_seq), 0) FROM sessions"
GROUPS = {
    "projects": ("s.project", ""),
    "machines": ("m.name", "JOIN machines m ON m.id = s.machine_id"),
    "agents": ("s.agent", ""),
}


def group_counts(
    conn: psycopg.Connection, kind: str, where: Where, *, q: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` names of ``kind`` with their counts, most sessions first, from ``offset``."""
    column, join = GROUPS[kind]
    if q:
        where = where & Where((f"{column} ILIKE %(name_like)s ESCAPE '\\'",), {"name_like": like_pattern(q)})
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            GROUP_COUNTS_SQL.format(column=column, join=join, where=where.sql),
            where.bind(limit=limit, offset=offset),
        )
        return cur.fetchall()


def stats(conn: psycopg.Connection, where: Where) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(STATS_SQL.format(where=where.sql), where.bind())
        row = cur.fetchone()
    assert row is not None  # an aggregate without GROUP BY always answers one row
    return row


def sync_status(conn: psycopg.Connection) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(SYNC_STATUS_SQL)
        return cur.fetchall()


def indexer_status(conn: psycopg.Connection) -> dict[str, Any]:
    """Sessions not indexed yet, and those the indexer could not index (newest 100)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(INDEXER_SQL)
        status = cur.fetchone()
        assert status is not None  # scalar subqueries: always one row
        cur.execute(INDEX_FAILURES_SQL)
        status["failures"] = cur.fetchall()
    return status


def global_version(conn: psycopg.Connection) -> int:
    return int(scalar(conn.execute(GLOBAL_VERSION_SQL).fetchone()))
