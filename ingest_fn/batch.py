"""Writing a push's sessions together: one transaction, one COPY per table.

Per session, ``store.apply_session`` needs five to seven round trips, each
ending with the client waiting for PostgreSQL to finish (a COPY's end, a
commit). Over a 3,000-message request that is ~150 synchronisation points,
and the server write path ran at half the speed of one raw ``COPY`` of the
same rows (bench/ingest_bench.py). Here a whole request is written with a
fixed number of statements, so Python formats rows while PostgreSQL stores
them, as in raw ``COPY``:

1. create the sessions that are new (one ``INSERT … ON CONFLICT DO NOTHING``),
   then lock every session row of the request (one ``SELECT … FOR NO KEY UPDATE``);
   both in session-id order, so concurrent requests sharing sessions queue
   instead of deadlocking;
2. read the base message of every part (one query) and decide, per session,
   exactly as ``apply_session`` does: unchanged, resend, or apply;
3. delete what the applied sessions replace (two statements), ``COPY`` every
   applied session's messages, then their tool calls;
4. update each session's metadata and server-computed totals (pipelined).

Every session is still atomic (it is inside one transaction) and the rules are
``store``'s. What changes is the unit of failure: if the database refuses
anything (a ``DataError``, an ``IntegrityError``, a limit such as an index entry's
size, a deadlock), the request's
transaction is rolled back and its sessions are applied one at a time with
``apply_session``, so one bad session is rejected alone and the rest land.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import psycopg

from ingest_fn.protocol import SessionIn
from ingest_fn.store import (
    UPDATE_SESSION_SQL,
    Held,
    Outcome,
    _session_params,
    apply_session,
    copy_rows,
    decide,
    in_lock_order,
)

log = logging.getLogger("av.ingest")

CREATE_MISSING_SQL = """
INSERT INTO sessions (machine_id, session_id, agent, fingerprint)
SELECT %s, u.session_id, u.agent, '' FROM unnest(%s::text[], %s::text[]) AS u(session_id, agent)
ORDER BY u.session_id
ON CONFLICT (machine_id, session_id) DO NOTHING
RETURNING id"""
LOCK_ALL_SQL = """
SELECT id, session_id, fingerprint, deleted_at IS NOT NULL FROM sessions
WHERE machine_id = %s AND session_id = ANY(%s)
ORDER BY session_id
FOR NO KEY UPDATE"""
BASES_SQL = """
SELECT m.session_pk, m.chain_hash
FROM unnest(%s::bigint[], %s::int[]) AS b(pk, ordinal)
JOIN messages m ON m.session_pk = b.pk AND m.ordinal = b.ordinal"""
DELETE_TOOL_CALLS_SQL = """
DELETE FROM tool_calls t USING unnest(%s::bigint[], %s::int[]) AS d(pk, start)
WHERE t.session_pk = d.pk AND t.message_ordinal >= d.start"""
DELETE_MESSAGES_SQL = """
DELETE FROM messages m USING unnest(%s::bigint[], %s::int[]) AS d(pk, start)
WHERE m.session_pk = d.pk AND m.ordinal >= d.start"""
# A row created in step 1 for a part that turned out to need a resend: the
# per-session path would have rolled it back, so no empty session is left behind.
DROP_UNWRITTEN_SQL = "DELETE FROM sessions WHERE id = ANY(%s)"

# What the database says about one session's data: bad data, a constraint, or a
# limit of its own (an index entry too large, say). The session is rejected alone.
SESSION_REFUSALS = (
    psycopg.errors.DataError,
    psycopg.errors.IntegrityError,
    psycopg.errors.ProgramLimitExceeded,
)
# What makes a batch fall back to one session at a time: one of those, or two writers crossed.
REFUSALS = (*SESSION_REFUSALS, psycopg.errors.DeadlockDetected)


def apply_batch(conn: psycopg.Connection, *, machine_id: int, sessions: Sequence[SessionIn]) -> list[Outcome]:
    """Store ``sessions`` for ``machine_id``; one outcome per session, in order.

    A session id that appears twice in one request is applied in order, one at a
    time (the batch would have to pick one of the two).
    """
    ids = [s.session_id for s in sessions]
    if len(set(ids)) != len(ids) or len(sessions) <= 1:
        return _one_by_one(conn, machine_id, sessions)
    try:
        with conn.transaction():
            return _apply_together(conn, machine_id, sessions)
    except REFUSALS as exc:
        log.warning(
            "a batch was refused by the database; applying its sessions one by one",
            extra={"sqlstate": exc.sqlstate, "sessions": len(sessions)},
        )
        return _one_by_one(conn, machine_id, sessions)


def _one_by_one(conn: psycopg.Connection, machine_id: int, sessions: Sequence[SessionIn]) -> list[Outcome]:
    """Each session in its own (sub)transaction, in lock order; outcomes in request order."""
    return in_lock_order([s.session_id for s in sessions], lambda i: _one(conn, machine_id, sessions[i]))


def _one(conn: psycopg.Connection, machine_id: int, session: SessionIn) -> Outcome:
    try:
        return apply_session(conn, machine_id=machine_id, session=session)
    except SESSION_REFUSALS as exc:
        # Its transaction rolled back: nothing of this session was written.
        log.warning("session rejected by the database", extra={"sqlstate": exc.sqlstate})
        return Outcome("rejected", f"the database refused the session ({exc.sqlstate})")


def _lock_all(conn: psycopg.Connection, machine_id: int, sessions: Sequence[SessionIn]) -> dict[str, Held]:
    with conn.cursor() as cur:
        created = {
            row[0]
            for row in cur.execute(
                CREATE_MISSING_SQL,
                (machine_id, [s.session_id for s in sessions], [s.agent for s in sessions]),
            )
        }
        rows = cur.execute(LOCK_ALL_SQL, (machine_id, [s.session_id for s in sessions])).fetchall()
    return {sid: Held(pk, fingerprint, deleted, new=pk in created) for pk, sid, fingerprint, deleted in rows}


def _apply_together(
    conn: psycopg.Connection, machine_id: int, sessions: Sequence[SessionIn]
) -> list[Outcome]:
    held = _lock_all(conn, machine_id, sessions)
    parts = [
        (held[s.session_id].pk, s.base.ordinal - 1)
        for s in sessions
        if s.base is not None and not held[s.session_id].new
    ]
    bases: dict[int, str] = {}
    if parts:
        bases = dict(conn.execute(BASES_SQL, ([pk for pk, _ in parts], [o for _, o in parts])).fetchall())

    outcomes: list[Outcome] = []
    to_write: list[tuple[int, SessionIn]] = []
    replaced: list[tuple[int, int]] = []  # (pk, first ordinal replaced) of rows that held something
    for session in sessions:
        h = held[session.session_id]
        start = decide(h, session, bases.get(h.pk))
        if isinstance(start, Outcome):
            outcomes.append(start)
            continue
        outcomes.append(Outcome("applied"))
        to_write.append((h.pk, session))
        if not h.new:
            replaced.append((h.pk, start))

    written = {pk for pk, _ in to_write}
    unwritten_new = [h.pk for h in held.values() if h.new and h.pk not in written]
    with conn.cursor() as cur:
        if unwritten_new:
            cur.execute(DROP_UNWRITTEN_SQL, (unwritten_new,))
        if replaced:
            pks, starts = [pk for pk, _ in replaced], [start for _, start in replaced]
            cur.execute(DELETE_TOOL_CALLS_SQL, (pks, starts))
            cur.execute(DELETE_MESSAGES_SQL, (pks, starts))
        if to_write:
            copy_rows(cur, to_write)
            cur.executemany(UPDATE_SESSION_SQL, [_session_params(pk, session) for pk, session in to_write])
    return outcomes
