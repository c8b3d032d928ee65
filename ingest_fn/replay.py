"""Idempotent requests: the same device and request id get the first answer back.

Only for the same request: the stored answer carries a digest of the route and the
(decompressed) body that made it, and a request id reused for another body or on
another route is a 409 naming the conflict — it used to get the first answer back
silently, its own work never done. (Answers recorded before the digest existed
replay as before.)

A session-level advisory lock on (device, request id) makes a retry that
arrives while the first attempt is still running wait for it, then find its
stored answer. The work and its answer commit together, in one transaction: a
function that dies between the two leaves neither, so the retry does the work
afresh rather than finding it done with no answer to replay. Answers are kept
for ``KEEP_DAYS``; older ones are pruned when the device next records one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from avcore.web import Conflict
from avprotocol.answers import Problem

KEEP_DAYS = 7
DIGEST_KEY = "_request_sha256"  # in the stored answer only; never sent
# For the OpenAPI document of the routes that record answers.
REUSED_REQUEST_ID: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "The request id was already used for another request"}
}
LOCK_SQL = "SELECT pg_advisory_lock(%s, hashtext(%s))"
UNLOCK_SQL = "SELECT pg_advisory_unlock(%s, hashtext(%s))"
FIND_SQL = "SELECT response FROM ingest_requests WHERE device_id = %s AND request_id = %s"
RECORD_SQL = """
INSERT INTO ingest_requests (device_id, request_id, response) VALUES (%s, %s, %s)
ON CONFLICT (device_id, request_id) DO NOTHING"""
PRUNE_SQL = f"""
DELETE FROM ingest_requests
WHERE device_id = %s AND created_at < now() - interval '{KEEP_DAYS} days'"""  # noqa: S608 - a constant


def storable(answer: Any) -> Any:
    """The answer with NUL as U+FFFD wherever it is (an echoed id, a field name pydantic quotes
    from the body): ``jsonb`` cannot hold NUL, and the stored answer is what a replay returns."""
    if isinstance(answer, str):
        return answer.replace("\x00", "\ufffd")
    if isinstance(answer, list):
        return [storable(v) for v in answer]
    if isinstance(answer, dict):
        return {storable(k): storable(v) for k, v in answer.items()}
    return answer


def request_digest(route: str, body: bytes) -> str:
    """What makes two requests with one request id the same request: the route and the body."""
    return hashlib.sha256(route.encode() + b"\0" + body).hexdigest()


def once(
    conn: psycopg.Connection,
    *,
    device_id: int,
    request_id: str,
    digest: str,
    compute: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """Run ``compute`` once per (device, request id); return (answer, was_replayed).
    The same request id with another ``digest`` (:func:`request_digest`) is a Conflict."""
    conn.execute(LOCK_SQL, (device_id, request_id))
    try:
        row = conn.execute(FIND_SQL, (device_id, request_id)).fetchone()
        if row is not None:
            stored = dict(row[0])
            first = stored.pop(DIGEST_KEY, None)
            if first is not None and first != digest:
                raise Conflict(
                    f"request_id: {request_id!r} was already used for another request "
                    "(another body or route); use a new request id for each request",
                    errors=[{"field": "request_id", "message": "already used for another request"}],
                )
            return stored, True
        with conn.transaction():  # compute's own transactions become savepoints of this one
            answer = storable(compute())
            conn.execute(RECORD_SQL, (device_id, request_id, Jsonb({**answer, DIGEST_KEY: digest})))
            conn.execute(PRUNE_SQL, (device_id,))
        return answer, False
    finally:
        if not conn.closed and not conn.broken:
            conn.execute(UNLOCK_SQL, (device_id, request_id))
