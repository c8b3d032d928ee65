"""Lists (projects, machines, agents), stats, version, sync status and the change signal.

Lists and stats count root sessions under the same filter as the session list
(``include_one_shot`` and the rest, agentsview §3.3). ``/changes`` is what the web
page polls: ``max(change_seq)`` is one probe of the ``sessions_change`` index.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from psycopg.rows import dict_row

from avcore.schema import SCHEMA_VERSION
from viewer_fn.deps import Conn, CurrentViewer
from viewer_fn.filters import SessionFilter, root_where

VIEWER_VERSION = "0.2.0"
GROUP_COUNTS_SQL = """
SELECT {column} AS name, count(*) AS session_count, COALESCE(sum(s.message_count), 0) AS message_count,
       max(s.last_activity) AS last_activity
FROM sessions s {join}
WHERE {where}
GROUP BY 1 ORDER BY session_count DESC, name"""
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
SELECT (SELECT count(*) FROM sessions s LEFT JOIN search_state st ON st.session_pk = s.id
        WHERE st.session_pk IS NULL OR st.indexed_seq < s.change_seq) AS pending_sessions,
       (SELECT count(*) FROM index_failures) AS failing_sessions"""
INDEX_FAILURES_SQL = """
SELECT m.name || ':' || s.session_id AS session_id, f.failed_at, f.error
FROM index_failures f JOIN sessions s ON s.id = f.session_pk JOIN machines m ON m.id = s.machine_id
ORDER BY f.failed_at DESC, f.session_pk LIMIT 100"""
GLOBAL_VERSION_SQL = "SELECT COALESCE(max(change_seq), 0) FROM sessions"

router = APIRouter()
GROUPS = {
    "projects": ("s.project", ""),
    "machines": ("m.name", "JOIN machines m ON m.id = s.machine_id"),
    "agents": ("s.agent", ""),
}


def _group(request: Request, conn: Conn, kind: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    where = root_where(SessionFilter.from_request(request), params)
    column, join = GROUPS[kind]
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(GROUP_COUNTS_SQL.format(column=column, join=join, where=where), params)
        return {"ok": True, kind: cur.fetchall()}


@router.get("/projects")
def projects(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    return _group(request, conn, "projects")


@router.get("/machines")
def machines(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    return _group(request, conn, "machines")


@router.get("/agents")
def agents(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    return _group(request, conn, "agents")


@router.get("/stats")
def stats(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    params: dict[str, Any] = {}
    where = root_where(SessionFilter.from_request(request), params)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(STATS_SQL.format(where=where), params)
        return {"ok": True, **(cur.fetchone() or {})}


@router.get("/version")
def version(who: CurrentViewer) -> dict[str, Any]:
    return {"ok": True, "version": VIEWER_VERSION, "schema_version": SCHEMA_VERSION, "read_only": True}


@router.get("/sync/status")
def sync_status(who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    """Per machine: last push, live sessions and messages held. ``last_sync`` is the newest push.
    ``indexer``: sessions not indexed yet, and those the indexer could not index (still found
    by search and counted by analytics, from their raw rows)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(SYNC_STATUS_SQL)
        rows = cur.fetchall()
        cur.execute(INDEXER_SQL)
        indexer = cur.fetchone() or {}
        cur.execute(INDEX_FAILURES_SQL)
        indexer["failures"] = cur.fetchall()
    pushes = [r["last_push_at"] for r in rows if r["last_push_at"] is not None]
    return {"ok": True, "last_sync": max(pushes) if pushes else None, "machines": rows, "indexer": indexer}


@router.get("/changes")
def changes(who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    """The global change signal: it moves whenever any session is written or deleted."""
    row = conn.execute(GLOBAL_VERSION_SQL).fetchone()
    return {"ok": True, "global_version": row[0] if row else 0}
