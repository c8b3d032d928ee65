"""Answering a plan: what the server lacks, per session, in two queries.

For each session the client sends its fingerprint and checkpoints (ordinal,
chain hash). Equal fingerprint: ``have``. Unknown or tombstoned: ``send_all``.
Otherwise the highest checkpoint whose chain hash the server holds at that
ordinal is where the two copies agree up to, because a chain hash covers every
message before it: the client sends from the next ordinal. The answer also
names how many messages the server holds and its last chain hash, so a client
whose own chain has that hash at that ordinal can send exactly the missing tail
(the server verifies the base again on push).

A session the client lists is on its machine: a mark that its log had gone
(``gone_locally_at``, docs/protocol.md) is cleared, in session-id order like
every lock the server takes. A session the user deleted (``av-client delete``)
is answered ``have`` with ``deleted``, so nothing is sent over the deletion.
"""

from __future__ import annotations

import psycopg

from avprotocol.answers import PlanResult
from avprotocol.requests import PlanSessionIn

HELD_SQL = """
SELECT session_id, id, fingerprint, deleted_at IS NOT NULL, message_count, chain_head,
       deleted_at IS NOT NULL AND deleted_by = 'user', gone_locally_at IS NOT NULL AND deleted_at IS NULL
FROM sessions WHERE machine_id = %s AND session_id = ANY(%s)"""
BACK_ON_MACHINE_SQL = """
UPDATE sessions s SET gone_locally_at = NULL, updated_at = now(), change_seq = nextval('change_seq')
FROM (SELECT id FROM sessions WHERE id = ANY(%s) AND gone_locally_at IS NOT NULL
      ORDER BY session_id FOR NO KEY UPDATE) back
WHERE s.id = back.id"""
MATCHING_CHECKPOINTS_SQL = """
SELECT c.pk, max(c.ordinal)
FROM unnest(%s::bigint[], %s::int[], %s::text[]) AS c(pk, ordinal, chain_hash)
JOIN messages m ON m.session_pk = c.pk AND m.ordinal = c.ordinal AND m.chain_hash = c.chain_hash
GROUP BY c.pk"""


def plan(conn: psycopg.Connection, *, machine_id: int, sessions: list[PlanSessionIn]) -> list[PlanResult]:
    held = {row[0]: row[1:] for row in conn.execute(HELD_SQL, (machine_id, [s.session_id for s in sessions]))}
    back = [row[0] for row in held.values() if row[6]]
    if back:
        conn.execute(BACK_ON_MACHINE_SQL, (back,))
    pks: list[int] = []
    ordinals: list[int] = []
    hashes: list[str] = []
    for item in sessions:
        row = held.get(item.session_id)
        if row and not row[2] and row[1] != item.fingerprint:
            for ordinal, chain_hash in item.checkpoints:
                pks.append(row[0])
                ordinals.append(ordinal)
                hashes.append(chain_hash)
    agreed: dict[int, int] = (
        dict(conn.execute(MATCHING_CHECKPOINTS_SQL, (pks, ordinals, hashes)).fetchall()) if pks else {}
    )
    results = []
    for item in sessions:
        row = held.get(item.session_id)
        if row is not None and row[5]:
            results.append(PlanResult(session_id=item.session_id, action="have", deleted=True))
        elif row is None or row[2]:
            results.append(PlanResult(session_id=item.session_id, action="send_all"))
        elif row[1] == item.fingerprint:
            results.append(PlanResult(session_id=item.session_id, action="have"))
        elif row[0] in agreed:
            upto = agreed[row[0]]
            chain = dict(item.checkpoints)[upto]
            results.append(
                PlanResult(
                    session_id=item.session_id,
                    action="send_from",
                    from_ordinal=upto + 1,
                    base_chain_hash=chain,
                    held_messages=row[3],
                    held_chain_head=row[4],
                )
            )
        else:
            results.append(
                PlanResult(
                    session_id=item.session_id,
                    action="send_all",
                    held_messages=row[3],
                    held_chain_head=row[4],
                )
            )
    return results
