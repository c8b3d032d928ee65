"""Device authentication: the machine comes from the token, never from the body."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from fastapi import Request

from avcore.tokens import DEVICE_PREFIX, token_hash, well_formed
from avcore.web import Forbidden, Unauthorized

DEVICE_BY_HASH_SQL = """
SELECT d.id, d.machine_id, m.name, d.scopes, d.revoked_at IS NOT NULL
FROM devices d JOIN machines m ON m.id = d.machine_id
WHERE d.token_hash = %s"""
# Seen-at is a convenience for `av-admin device list`; bumping it at most once a
# minute keeps it from turning every request into a write.
TOUCH_DEVICE_SQL = """
UPDATE devices SET last_seen_at = now()
WHERE id = %s AND (last_seen_at IS NULL OR last_seen_at < now() - interval '1 minute')"""

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="av-cloud ingest"'}


@dataclass(frozen=True)
class DeviceIdentity:
    device_id: int
    machine_id: int
    machine: str
    scopes: tuple[str, ...]


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthorized(
            "missing Authorization header; send 'Authorization: Bearer <device token>'", headers=CHALLENGE
        )
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "malformed Authorization header; expected 'Bearer <device token>'", headers=CHALLENGE
        )
    return token.strip()


def authenticate_device(conn: psycopg.Connection, token: str, *, scope: str) -> DeviceIdentity:
    if not well_formed(token, DEVICE_PREFIX):
        # Checked before any lookup: junk costs nothing, and a viewer token is named as such.
        if token.startswith("avv_"):
            raise Forbidden("this is a viewer credential; pushing needs a device token")
        raise Unauthorized("invalid device token", headers=CHALLENGE)
    row = conn.execute(DEVICE_BY_HASH_SQL, (token_hash(token),)).fetchone()
    if row is None:
        raise Unauthorized("invalid device token", headers=CHALLENGE)
    device_id, machine_id, machine, scopes, revoked = row
    if revoked:
        raise Unauthorized("this device token has been revoked", headers=CHALLENGE)
    if scope not in scopes:
        raise Forbidden(f"this device token lacks the '{scope}' scope")
    conn.execute(TOUCH_DEVICE_SQL, (device_id,))
    return DeviceIdentity(device_id, machine_id, machine, tuple(scopes))
