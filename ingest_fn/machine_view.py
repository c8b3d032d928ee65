"""What the server holds for one machine: sessions leaving it (gone, deleted), status, the held list.

History is kept: a session whose log disappeared from its machine stays, complete,
with ``gone_locally_at`` set (``action: "gone"``, and every request from a client
that predates the field). Only a user's request (``delete``, sticky: the plan
answers ``have`` with ``deleted``) or the mirror opt-in (``mirror``) makes a
tombstone: the row kept with ``deleted_at`` and ``deleted_by``, its messages
and tool calls removed. See docs/protocol.md, "Sessions that leave the machine".
"""

from __future__ import annotations

from typing import Any, cast

import psycopg

from avprotocol.answers import DeleteResult, HeldSession, IndexFailure
from avprotocol.requests import DeleteAction
from ingest_fn.store import in_lock_order

MARK_GONE_SQL = """
UPDATE sessions SET gone_locally_at = now(), updated_at = now(), change_seq = nextval('change_seq')
WHERE machine_id = %s AND session_id = %s AND deleted_at IS NULL AND gone_locally_at IS NULL
RETURNING id"""
# A mirror deletion is a log that disappeared: gone too. A user's request on a tombstone made
# otherwise makes it the user's (sticky).
TOMBSTONE_SQL = """
UPDATE sessions SET deleted_at = now(), deleted_by = %(by)s, fingerprint = '', chain_head = NULL,
    gone_locally_at = CASE WHEN %(by)s = 'mirror' THEN COALESCE(gone_locally_at, now())
                           ELSE gone_locally_at END,
    message_count = 0, user_message_count = 0, tool_call_count = 0, input_tokens = 0, output_tokens = 0,
    cache_creation_tokens = 0, cache_read_tokens = 0, peak_context_tokens = 0, models = '{}',
    updated_at = now(), change_seq = nextval('change_seq')
WHERE machine_id = %(machine)s AND session_id = %(sid)s AND deleted_at IS NULL
RETURNING id"""
CLAIM_TOMBSTONE_SQL = """
UPDATE sessions SET deleted_by = 'user'
WHERE machine_id = %s AND session_id = %s AND deleted_at IS NOT NULL AND deleted_by <> 'user'"""
# Lifting a deletion drops the tombstone: the session is unknown again, so the next push of its
# log sends it whole (its messages were removed with the deletion).
UNDELETE_SQL = """
DELETE FROM sessions WHERE machine_id = %s AND session_id = %s AND deleted_at IS NOT NULL RETURNING id"""
STATE_SQL = "SELECT deleted_at IS NOT NULL FROM sessions WHERE machine_id = %s AND session_id = %s"
DROP_TOOL_CALLS_SQL = "DELETE FROM tool_calls WHERE session_pk = %s"
DROP_MESSAGES_SQL = "DELETE FROM messages WHERE session_pk = %s"
STATUS_SQL = """
SELECT m.name, m.last_push_at,
       count(s.id) FILTER (WHERE s.deleted_at IS NULL),
       count(s.id) FILTER (WHERE s.deleted_at IS NULL AND s.gone_locally_at IS NOT NULL),
       count(s.id) FILTER (WHERE s.deleted_at IS NOT NULL),
       count(s.id) FILTER (WHERE s.deleted_at IS NOT NULL AND s.deleted_by = 'user'),
       count(s.id) FILTER (WHERE s.deleted_at IS NOT NULL AND s.deleted_by = 'legacy'),
       COALESCE(sum(s.message_count), 0), COALESCE(sum(s.tool_call_count), 0)
FROM machines m LEFT JOIN sessions s ON s.machine_id = m.id
WHERE m.id = %s GROUP BY m.id"""
INDEX_FAILURES_SQL = """
SELECT s.session_id, f.failed_at, f.error FROM index_failures f JOIN sessions s ON s.id = f.session_pk
WHERE s.machine_id = %s ORDER BY f.failed_at DESC, s.session_id LIMIT 100"""
TOUCH_MACHINE_SQL = "UPDATE machines SET last_push_at = now() WHERE id = %s"
DATABASE_ID_SQL = "SELECT value FROM meta WHERE key = 'database_id'"
HELD_PAGE_SQL = """
SELECT session_id, fingerprint, message_count, deleted_at IS NOT NULL,
       CASE WHEN deleted_at IS NOT NULL THEN deleted_by END, gone_locally_at, agent, project,
       left(COALESCE(display_name, first_message), 100), last_activity
FROM sessions WHERE machine_id = %s AND session_id > %s
ORDER BY session_id LIMIT %s"""


def delete_sessions(
    conn: psycopg.Connection, *, machine_id: int, session_ids: list[str], action: DeleteAction | None = None
) -> list[DeleteResult]:
    """Apply ``action`` to each session, in lock order (``store.in_lock_order``); results in request order."""
    chosen: DeleteAction = action or "gone"  # a client from before the field: its logs disappeared
    return in_lock_order(session_ids, lambda i: _one(conn, machine_id, session_ids[i], chosen))


def _one(conn: psycopg.Connection, machine_id: int, sid: str, action: DeleteAction) -> DeleteResult:
    with conn.transaction():
        if action == "gone":
            status = _mark_gone(conn, machine_id, sid)
        elif action == "undelete":
            status = _undelete(conn, machine_id, sid)
        else:
            status = _tombstone(conn, machine_id, sid, by="user" if action == "delete" else "mirror")
    return DeleteResult(session_id=sid, status=cast(Any, status))


def _state(conn: psycopg.Connection, machine_id: int, sid: str) -> str:
    row = conn.execute(STATE_SQL, (machine_id, sid)).fetchone()
    return "not_found" if row is None else ("deleted" if row[0] else "live")


def _mark_gone(conn: psycopg.Connection, machine_id: int, sid: str) -> str:
    if conn.execute(MARK_GONE_SQL, (machine_id, sid)).fetchone() is not None:
        return "marked"
    state = _state(conn, machine_id, sid)
    return "already_gone" if state == "live" else state


def _tombstone(conn: psycopg.Connection, machine_id: int, sid: str, *, by: str) -> str:
    row = conn.execute(TOMBSTONE_SQL, {"by": by, "machine": machine_id, "sid": sid}).fetchone()
    if row is not None:
        conn.execute(DROP_TOOL_CALLS_SQL, (row[0],))
        conn.execute(DROP_MESSAGES_SQL, (row[0],))
        return "deleted"
    if _state(conn, machine_id, sid) == "not_found":
        return "not_found"
    if by == "user":
        conn.execute(CLAIM_TOMBSTONE_SQL, (machine_id, sid))
    return "already_deleted"


def _undelete(conn: psycopg.Connection, machine_id: int, sid: str) -> str:
    if conn.execute(UNDELETE_SQL, (machine_id, sid)).fetchone() is not None:
        return "undeleted"
    return "not_deleted" if _state(conn, machine_id, sid) == "live" else "not_found"


def status(conn: psycopg.Connection, *, machine_id: int) -> dict[str, Any]:
    row = conn.execute(STATUS_SQL, (machine_id,)).fetchone()
    assert row is not None
    machine, last_push, live, gone, deleted, by_user, legacy, messages, tool_calls = row
    failures = [
        IndexFailure(session_id=sid, failed_at=at, error=error)
        for sid, at, error in conn.execute(INDEX_FAILURES_SQL, (machine_id,))
    ]
    return {
        "machine": machine,
        "last_push_at": last_push,
        "sessions": live,
        "gone_locally_sessions": gone,
        "deleted_sessions": deleted,
        "deleted_by_user_sessions": by_user,
        "legacy_deleted_sessions": legacy,
        "messages": messages,
        "tool_calls": tool_calls,
        "index_failures": failures,
    }


def held_sessions(conn: psycopg.Connection, *, machine_id: int, after: str, limit: int) -> list[HeldSession]:
    rows = conn.execute(HELD_PAGE_SQL, (machine_id, after, limit)).fetchall()
    return [
        HeldSession(
            session_id=r[0],
            fingerprint=r[1],
            message_count=r[2],
            deleted=r[3],
            deleted_by=r[4],
            gone_locally_at=r[5],
            agent=r[6],
            project=r[7],
            title=r[8],
            last_activity=r[9],
        )
        for r in rows
    ]


def touch_machine(conn: psycopg.Connection, machine_id: int) -> None:
    """Record that the machine pushed (once per request, not per session)."""
    conn.execute(TOUCH_MACHINE_SQL, (machine_id,))


def database_id(conn: psycopg.Connection) -> str:
    """The id of this database (a client that sees it change knows the server was replaced)."""
    row = conn.execute(DATABASE_ID_SQL).fetchone()
    return row[0] if row else ""
