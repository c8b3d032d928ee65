"""Writing a push's sessions: one store, one set of rules, one transaction per request.

``write_sessions`` is the only entry point. A request's sessions are written together
with a fixed number of statements, so Python formats rows while PostgreSQL stores them,
as in a raw ``COPY`` (per session, the old path needed five to seven round trips, each
ending with the function waiting for PostgreSQL, and ran at half the speed of one raw
``COPY`` of the same rows: bench/ingest_bench.py):

1. create the sessions that are new (one ``INSERT … ON CONFLICT DO NOTHING``), then
   lock every session row of the request (one ``SELECT … FOR NO KEY UPDATE``), both in
   session-id order, so concurrent requests sharing sessions queue instead of
   deadlocking;
2. read the base message of every part (one query) and :func:`decide`, per session:
   ``unchanged`` (equal fingerprint, unless the item asks to ``replace``), ``resend`` (a part whose base the server does not
   hold), or the first ordinal the write replaces;
3. delete what the applied sessions replace (two statements), ``COPY`` their messages,
   then their tool calls (``ingest_fn.rows``), drop rows created for sessions that were
   not written (no empty session is left behind);
4. update each session's metadata and totals, computed from the stored rows (pipelined),
   so totals can never disagree with the rows.

Every session is atomic (it is inside one transaction). If the database refuses anything
(a ``DataError``, an ``IntegrityError``, a limit such as an index entry's size, a
deadlock), the request's transaction is rolled back and the same steps run for one
session at a time, each in its own subtransaction and in session-id order, so a session
the database refuses is ``rejected`` alone and the others land. A session id that appears
twice in one request is written that way too, in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import psycopg

from avprotocol.answers import ItemResult, ItemStatus
from avprotocol.session import SessionIn
from ingest_fn.rows import copy_rows, session_params

log = logging.getLogger("av.ingest")

CREATE_MISSING_SQL = """
INSERT INTO sessions (machine_id, session_id, agent, fingerprint)
SELECT %s, u.session_id, u.agent, '' FROM unnest(%s::text[], %s::text[]) AS u(session_id, agent)
ORDER BY u.session_id
ON CONFLICT (machine_id, session_id) DO NOTHING
RETURNING id"""
# FOR NO KEY UPDATE, not FOR UPDATE: it still makes two writers of a session queue, but it does
# not wait for the key-share locks that rows referencing the session take (the search indexer
# holds those on the sessions it is indexing for its whole transaction).
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
# A row created in step 1 for a part that turned out to need a resend.
DROP_UNWRITTEN_SQL = "DELETE FROM sessions WHERE id = ANY(%s)"
# Metadata and totals in one statement, after the rows are in.
UPDATE_SESSION_SQL = """
UPDATE sessions s SET
    agent = %(agent)s, project = %(project)s, cwd = %(cwd)s, git_branch = %(git_branch)s,
    source_path = %(source_path)s, first_message = %(first_message)s, display_name = %(display_name)s,
    created_at = %(created_at)s, started_at = %(started_at)s, ended_at = %(ended_at)s,
    parent_session_id = %(parent_session_id)s, relationship = %(relationship)s,
    parent_tool_use_id = %(parent_tool_use_id)s, fingerprint = %(fingerprint)s,
    chain_head = %(chain_head)s, deleted_at = NULL, updated_at = now(), change_seq = nextval('change_seq'),
    message_count = m.n, user_message_count = m.users, input_tokens = m.inp, output_tokens = m.outp,
    cache_creation_tokens = m.cc, cache_read_tokens = m.cr, peak_context_tokens = m.peak,
    models = m.models, tool_call_count = (SELECT count(*) FROM tool_calls t WHERE t.session_pk = s.id)
FROM (
    SELECT count(*) AS n,
           count(*) FILTER (WHERE role = 'user' AND NOT is_system) AS users,
           COALESCE(sum(input_tokens), 0) AS inp, COALESCE(sum(output_tokens), 0) AS outp,
           COALESCE(sum(cache_creation_tokens), 0) AS cc, COALESCE(sum(cache_read_tokens), 0) AS cr,
           COALESCE(max(input_tokens::bigint + cache_creation_tokens + cache_read_tokens), 0) AS peak,
           COALESCE(array_agg(DISTINCT model ORDER BY model) FILTER (WHERE model IS NOT NULL), '{}') AS models
    FROM messages WHERE session_pk = %(pk)s
) m
WHERE s.id = %(pk)s"""

# What the database says about one session's data: bad data, a constraint, or a
# limit of its own (an index entry too large, say). The session is rejected alone.
SESSION_REFUSALS = (
    psycopg.errors.DataError,
    psycopg.errors.IntegrityError,
    psycopg.errors.ProgramLimitExceeded,
)
# What makes a request fall back to one session at a time: one of those, or two writers crossed.
REFUSALS = (*SESSION_REFUSALS, psycopg.errors.DeadlockDetected)


@dataclass(frozen=True)
class Outcome:
    """What became of one session of a request."""

    status: ItemStatus
    reason: str | None = None

    def result(self, session_id: str) -> ItemResult:
        return ItemResult(session_id=session_id, status=self.status, reason=self.reason)


@dataclass(frozen=True)
class Held:
    """What the server holds for a session, read under its row lock."""

    pk: int
    fingerprint: str
    deleted: bool
    new: bool  # created (empty) by this transaction


T = TypeVar("T")


def in_lock_order(session_ids: Sequence[str], apply: Callable[[int], T]) -> list[T]:
    """``apply(i)`` for every index, in session-id order; the results in request order.

    Session id order is the order every writer locks sessions in (the batch's SQL sorts
    the same way). A caller may hold each lock until one commit (``replay.once``), so two
    requests taking the same rows in different orders would deadlock. The sort is stable:
    a repeated id keeps its order.
    """
    results: list[T | None] = [None] * len(session_ids)
    for i in sorted(range(len(session_ids)), key=session_ids.__getitem__):
        results[i] = apply(i)
    return results  # type: ignore[return-value]


def stale_base_reason(start: int) -> str:
    return f"the server does not hold message {start - 1} with the base chain hash; plan again"


def decide(held: Held, session: SessionIn, base_hash: str | None) -> Outcome | int:
    """``unchanged`` or ``resend`` (write nothing), else the first ordinal the write replaces.

    ``base_hash`` is the chain hash the server holds at ``session.base.ordinal - 1``.
    """
    if (
        session.complete
        and held.fingerprint == session.fingerprint
        and not held.deleted
        and not session.replace
    ):
        return Outcome("unchanged")
    if session.base is None:
        return 0
    if held.deleted or held.new or base_hash != session.base.chain_hash:
        return Outcome("resend", stale_base_reason(session.base.ordinal))
    return session.base.ordinal


def write_sessions(
    conn: psycopg.Connection, *, machine_id: int, sessions: Sequence[SessionIn]
) -> list[Outcome]:
    """Store ``sessions`` for ``machine_id``; one outcome per session, in request order."""
    ids = [s.session_id for s in sessions]
    if len(sessions) > 1 and len(set(ids)) == len(ids):
        try:
            with conn.transaction():
                return _write(conn, machine_id, sessions)
        except REFUSALS as exc:
            log.warning(
                "a batch was refused by the database; writing its sessions one by one",
                extra={"sqlstate": exc.sqlstate, "sessions": len(sessions)},
            )
    return in_lock_order(ids, lambda i: _write_alone(conn, machine_id, sessions[i]))


def _write_alone(conn: psycopg.Connection, machine_id: int, session: SessionIn) -> Outcome:
    try:
        with conn.transaction():
            return _write(conn, machine_id, [session])[0]
    except SESSION_REFUSALS as exc:
        # Its (sub)transaction rolled back: nothing of this session was written.
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


def _write(conn: psycopg.Connection, machine_id: int, sessions: Sequence[SessionIn]) -> list[Outcome]:
    """Steps 1-4 of the module docstring, inside the caller's transaction; ids are distinct."""
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
            cur.executemany(UPDATE_SESSION_SQL, [session_params(pk, session) for pk, session in to_write])
    return outcomes
