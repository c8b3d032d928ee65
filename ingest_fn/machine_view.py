"""What the server holds for one machine: deletes (tombstones), status, the held list, its last push."""

from __future__ import annotations

from typing import Any

import psycopg

from avprotocol.answers import DeleteResult, HeldSession, IndexFailure
from ingest_fn.store import in_lock_order

TOMBSTONE_SQL = """
UPDATE sessions SET deleted_at = now(), fingerprint = '', chain_head = NULL, message_count = 0,
    user_message_count = 0, tool_call_count = 0, input_tokens = 0, output_tokens = 0,
    cache_creation_tokens = 0, cache_read_tokens = 0, peak_context_tokens = 0, models = '{}',
    updated_at = now(), change_seq = nextval('change_seq')
WHERE machine_id = %s AND session_id = %s AND deleted_at IS NULL
RETURNING id"""
EXISTS_SQL = "SELECT 1 FROM sessions WHERE machine_id = %s AND session_id = %s"
DROP_TOOL_CALLS_SQL = "DELETE FROM tool_calls WHERE session_pk = %s"
DROP_MESSAGES_SQL = "DELETE FROM messages WHERE session_pk = %s"
STATUS_SQL = """
SELECT m.name, m.last_push_at,
       count(s.id) FILTER (WHERE s.deleted_at IS NULL),
       count(s.id) FILTER (WHERE s.deleted_at IS NOT NULL),
       COALESCE(sum(s.message_count), 0), COALESCE(sum(s.tool_call_count), 0)
FROM machines m LEFT JOIN sessions s ON s.machine_id = m.id
WHERE m.id = %s GROUP BY m.id"""
INDEX_FAILURES_SQL = """
SELECT s.session_id, f.failed_at, f.error FROM index_failures f JOIN sessions s ON s.id = f.session_pk
WHERE s.machine_id = %s ORDER BY f.failed_at DESC, s.session_id LIMIT 100"""
TOUCH_MACHINE_SQL = "UPDATE machines SET last_push_at = now() WHERE id = %s"
DATABASE_ID_SQL = "SELECT value FROM meta WHERE key = 'database_id'"
HELD_PAGE_SQL = """
SELECT session_id, fingerprint, message_count, deleted_at IS NOT NULL
FROM sessions WHERE machine_id = %s AND session_id > %s
ORDER BY session_id LIMIT %s"""


def delete_sessions(
    conn: psycopg.Connection, *, machine_id: int, session_ids: list[str]
) -> list[DeleteResult]:
    """Tombstone each session, in lock order (``store.in_lock_order``); results in request order."""
    return in_lock_order(session_ids, lambda i: _delete(conn, machine_id, session_ids[i]))


def _delete(conn: psycopg.Connection, machine_id: int, sid: str) -> DeleteResult:
    with conn.transaction():
        row = conn.execute(TOMBSTONE_SQL, (machine_id, sid)).fetchone()
        if row is not None:
            conn.execute(DROP_TOOL_CALLS_SQL, (row[0],))
            conn.execute(DROP_MESSAGES_SQL, (row[0],))
            status = "deleted"
        elif conn.execute(EXISTS_SQL, (machine_id, sid)).fetchone():
            status = "already_deleted"
        else:
            status = "not_found"
    return DeleteResult(session_id=sid, status=status)


def status(conn: psycopg.Connection, *, machine_id: int) -> dict[str, Any]:
    row = conn.execute(STATUS_SQL, (machine_id,)).fetchone()
    assert row is not None
    machine, last_push, live, deleted, messages, tool_calls = row
    failures = [
        IndexFailure(session_id=sid, failed_at=at, error=error)
        for sid, at, error in conn.execute(INDEX_FAILURES_SQL, (machine_id,))
    ]
    return {
        "machine": machine,
        "last_push_at": last_push,
        "sessions": live,
        "deleted_sessions": deleted,
        "messages": messages,
        "tool_calls": tool_calls,
        "index_failures": failures,
    }


def held_sessions(conn: psycopg.Connection, *, machine_id: int, after: str, limit: int) -> list[HeldSession]:
    rows = conn.execute(HELD_PAGE_SQL, (machine_id, after, limit)).fetchall()
    return [HeldSession(session_id=r[0], fingerprint=r[1], message_count=r[2], deleted=r[3]) for r in rows]


def touch_machine(conn: psycopg.Connection, machine_id: int) -> None:
    """Record that the machine pushed (once per request, not per session)."""
    conn.execute(TOUCH_MACHINE_SQL, (machine_id,))


def database_id(conn: psycopg.Connection) -> str:
    """The id of this database (a client that sees it change knows the server was replaced)."""
    row = conn.execute(DATABASE_ID_SQL).fetchone()
    return row[0] if row else ""
