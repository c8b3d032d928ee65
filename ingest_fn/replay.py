"""Idempotent requests: the same device and request id get the first answer back.

A session-level advisory lock on (device, request id) makes a retry that
arrives while the first attempt is still running wait for it, then find its
stored answer. The work and its answer commit together, in one transaction: a
function that dies between the two leaves neither, so the retry does the work
afresh rather than finding it done with no answer to replay. Answers are kept
for ``KEEP_DAYS``; older ones are pruned when the device next records one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

KEEP_DAYS = 7
LOCK_SQL = "SELECT pg_advisory_lock(%s, hashtext(%s))"
UNLOCK_SQL = "SELECT pg_advisory_unlock(%s, hashtext(%s))"
FIND_SQL = "SELECT response FROM ingest_requests WHERE device_id = %s AND request_id = %s"
RECORD_SQL = """
INSERT INTO ingest_requests (device_id, request_id, response) VALUES (%s, %s, %s)
ON CONFLICT (device_id, request_id) DO NOTHING"""
PRUNE_SQL = f"""
DELETE FROM ingest_requests
WHERE device_id = %s AND created_at < now() - interval '{KEEP_DAYS} days'"""  # noqa: S608 - a constant


def once(
    conn: psycopg.Connection, *, device_id: int, request_id: str, compute: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], bool]:
    """Run ``compute`` once per (device, request id); return (answer, was_replayed)."""
    conn.execute(LOCK_SQL, (device_id, request_id))
    try:
        row = conn.execute(FIND_SQL, (device_id, request_id)).fetchone()
        if row is not None:
            return dict(row[0]), True
        with conn.transaction():  # compute's own transactions become savepoints of this one
            answer = compute()
            conn.execute(RECORD_SQL, (device_id, request_id, Jsonb(answer)))
            conn.execute(PRUNE_SQL, (device_id,))
        return answer, False
    finally:
        if not conn.closed and not conn.broken:
            conn.execute(UNLOCK_SQL, (device_id, request_id))
