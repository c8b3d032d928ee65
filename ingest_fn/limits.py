"""Rate limits: per device (requests a minute) and per source address (failed auths).

Fixed windows kept in the ``rate_limits`` table, so the limit holds across Lambda
containers. A hit is one upsert; a refusal says when to come back (Retry-After).
"""

from __future__ import annotations

import math

import psycopg

from avcore.web import TooManyRequests

HIT_SQL = """
INSERT INTO rate_limits AS r (key, window_start, hits) VALUES (%(key)s, now(), 1)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN r.window_start < now() - make_interval(secs => %(window)s) THEN 1 ELSE r.hits + 1 END,
    window_start = CASE WHEN r.window_start < now() - make_interval(secs => %(window)s)
                        THEN now() ELSE r.window_start END
RETURNING hits, EXTRACT(EPOCH FROM (r.window_start + make_interval(secs => %(window)s) - now()))"""
PEEK_SQL = """
SELECT hits, EXTRACT(EPOCH FROM (window_start + make_interval(secs => %(window)s) - now()))
FROM rate_limits WHERE key = %(key)s AND window_start >= now() - make_interval(secs => %(window)s)"""


def _retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def count_request(conn: psycopg.Connection, *, device_id: int, per_minute: int) -> None:
    """Count one request of a device; refuse it when over the limit."""
    row = conn.execute(HIT_SQL, {"key": f"device:{device_id}", "window": DEVICE_WINDOW_S}).fetchone()
    assert row is not None
    hits, remaining = row
    if hits > per_minute:
        raise TooManyRequests(
            f"this device sent more than {per_minute} requests in a minute; slow down",
            headers=_retry_after(float(remaining)),
        )


def refuse_if_blocked(conn: psycopg.Connection, *, address: str, limit: int, window_s: int) -> None:
    """Refuse an address that failed authentication too often, before trying again."""
    row = conn.execute(PEEK_SQL, {"key": f"auth:{address}", "window": window_s}).fetchone()
    if row is not None and row[0] >= limit:
        raise TooManyRequests(
            "too many failed authentications from this address; try again later",
            headers=_retry_after(float(row[1])),
        )


# Rows whose window ended long ago, a bounded batch at a time: every failure clears up to this
# many, so the table holds about the addresses that failed within the window, never more.
PRUNE_SQL = """
DELETE FROM rate_limits WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM rate_limits WHERE window_start < now() - make_interval(secs => %(keep)s)
    LIMIT %(batch)s))"""
PRUNE_BATCH = 100
DEVICE_WINDOW_S = 60


def record_failure(conn: psycopg.Connection, *, address: str, window_s: int) -> None:
    conn.execute(HIT_SQL, {"key": f"auth:{address}", "window": window_s})
    conn.execute(PRUNE_SQL, {"keep": max(window_s, DEVICE_WINDOW_S), "batch": PRUNE_BATCH})
