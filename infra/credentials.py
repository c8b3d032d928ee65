"""Device and viewer credentials: create, list, revoke (run as the owner role).

A device belongs to one machine; creating a device for an unknown machine name
creates the machine. The token is returned once and only its hash is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from avcore.tokens import DEVICE_PREFIX, VIEWER_PREFIX, new_token, token_hash, token_hint
from infra.admin_db import AdminError

ENSURE_MACHINE_SQL = """
INSERT INTO machines (name) VALUES (%s)
ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
RETURNING id"""
ADD_DEVICE_SQL = """
INSERT INTO devices (machine_id, name, token_hash, token_hint, scopes)
VALUES (%s, %s, %s, %s, %s) RETURNING id"""
LIST_DEVICES_SQL = """
SELECT d.id, d.name, m.name, d.token_hint, d.scopes, d.created_at, d.last_seen_at, d.revoked_at
FROM devices d JOIN machines m ON m.id = d.machine_id ORDER BY d.id"""
REVOKE_DEVICE_SQL = "UPDATE devices SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL RETURNING id"
ADD_VIEWER_SQL = """
INSERT INTO viewer_credentials (name, token_hash, token_hint) VALUES (%s, %s, %s) RETURNING id"""
LIST_VIEWERS_SQL = """
SELECT id, name, token_hint, scopes, created_at, NULL::timestamptz, revoked_at
FROM viewer_credentials ORDER BY id"""
REVOKE_VIEWER_SQL = (
    "UPDATE viewer_credentials SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL RETURNING id"
)


class CredentialError(AdminError):
    """A credential operation failed; the message names what was wrong."""


@dataclass(frozen=True)
class Issued:
    id: int
    token: str


@dataclass(frozen=True)
class Device:
    id: int
    name: str
    machine: str
    hint: str
    scopes: list[str]
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None


def add_device(
    conn: psycopg.Connection, *, machine: str, name: str | None = None, scopes: tuple[str, ...] = ("push",)
) -> Issued:
    token = new_token(DEVICE_PREFIX)
    try:
        with conn.transaction():
            row = conn.execute(ENSURE_MACHINE_SQL, (machine,)).fetchone()
            assert row is not None
            dev = conn.execute(
                ADD_DEVICE_SQL, (row[0], name or machine, token_hash(token), token_hint(token), list(scopes))
            ).fetchone()
    except psycopg.errors.CheckViolation:
        raise CredentialError(
            f"invalid machine name {machine!r}: use letters, digits, '.', '_' or '-' "
            "(at most 63 characters, not 'local')"
        ) from None
    assert dev is not None
    return Issued(dev[0], token)


def list_devices(conn: psycopg.Connection) -> list[Device]:
    return [Device(*row) for row in conn.execute(LIST_DEVICES_SQL).fetchall()]


def revoke_device(conn: psycopg.Connection, device_id: int) -> None:
    if conn.execute(REVOKE_DEVICE_SQL, (device_id,)).fetchone() is None:
        raise CredentialError(f"no active device with id {device_id}")


def add_viewer(conn: psycopg.Connection, *, name: str) -> Issued:
    token = new_token(VIEWER_PREFIX)
    row = conn.execute(ADD_VIEWER_SQL, (name, token_hash(token), token_hint(token))).fetchone()
    assert row is not None
    return Issued(row[0], token)


def list_viewers(conn: psycopg.Connection) -> list[tuple[object, ...]]:
    return list(conn.execute(LIST_VIEWERS_SQL).fetchall())


def revoke_viewer(conn: psycopg.Connection, viewer_id: int) -> None:
    if conn.execute(REVOKE_VIEWER_SQL, (viewer_id,)).fetchone() is None:
        raise CredentialError(f"no active viewer credential with id {viewer_id}")


def _shown(query: str, params: tuple[object, ...]) -> str:
    """A statement as it would run, with its parameters written in (for ``--dry-run``)."""
    placeholders = iter(params)
    return " ".join(query.split()).replace("%s", "{}").format(*(str(p) for p in placeholders)) + ";"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def dry_run_script(action: str, statements: list[str]) -> str:
    """What a credential command would run, as the owner role; nothing is changed."""
    return "\n".join(
        [f"-- av-admin {action} --dry-run: nothing is changed", "SET ROLE av_owner;", *statements]
    )


def add_device_script(*, machine: str, name: str | None = None, scopes: tuple[str, ...] = ("push",)) -> str:
    scope_list = "ARRAY[" + ", ".join(_literal(s) for s in scopes) + "]"
    return dry_run_script(
        "device add",
        [
            _shown(ENSURE_MACHINE_SQL, (_literal(machine),)),
            _shown(
                ADD_DEVICE_SQL,
                (
                    "<the id returned above>",
                    _literal(name or machine),
                    "<SHA-256 of the new token>",
                    f"'{DEVICE_PREFIX}…' (the token's first characters)",
                    scope_list,
                ),
            ),
        ],
    )


def add_viewer_script(*, name: str) -> str:
    return dry_run_script(
        "viewer add",
        [
            _shown(
                ADD_VIEWER_SQL,
                (
                    _literal(name),
                    "<SHA-256 of the new token>",
                    f"'{VIEWER_PREFIX}…' (the token's first characters)",
                ),
            )
        ],
    )


def revoke_device_script(device_id: int) -> str:
    return dry_run_script("device revoke", [_shown(REVOKE_DEVICE_SQL, (device_id,))])


def revoke_viewer_script(viewer_id: int) -> str:
    return dry_run_script("viewer revoke", [_shown(REVOKE_VIEWER_SQL, (viewer_id,))])
