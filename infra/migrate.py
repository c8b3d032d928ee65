"""Numbered SQL migrations, applied in order, each in its own transaction with its record.

``infra/migrations/NNNN_name.sql`` files are the schema's history. ``migrate``
takes a session-level advisory lock so two operators (or a deploy hook and a
human) never run migrations at once, skips what is recorded, refuses when an
applied migration was edited since (its checksum changed), and applies the rest
as the owner role. Never edit an applied migration: add a new one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import sql

from avcore.schema import DB_SCHEMA, INGEST_ROLE, MIGRATIONS_TABLE, OWNER_ROLE, VIEWER_ROLE

# Arbitrary but fixed: the advisory lock key every migrator agrees on.
MIGRATION_LOCK_KEY = 0x61766D6967  # "avmig"
FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

CREATE_TABLE_SQL = f"""
CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
APPLIED_SQL = f"SELECT version, name, checksum FROM {MIGRATIONS_TABLE} ORDER BY version"  # noqa: S608
RECORD_SQL = f"INSERT INTO {MIGRATIONS_TABLE} (version, name, checksum) VALUES (%s, %s, %s)"  # noqa: S608


class MigrationError(RuntimeError):
    """Migrations cannot be applied safely; the message says why and what to do."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations() -> list[Migration]:
    """The migrations shipped in ``infra/migrations``, in version order, without gaps."""
    found = []
    for entry in resources.files("infra.migrations").iterdir():
        match = FILENAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(f"migration numbers must be 1..N without gaps; found {migration.version}")
    return found


def _check_roles(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", ([OWNER_ROLE, INGEST_ROLE, VIEWER_ROLE],)
    ).fetchall()
    missing = {OWNER_ROLE, INGEST_ROLE, VIEWER_ROLE} - {r[0] for r in rows}
    if missing:
        raise MigrationError(
            f"database roles {', '.join(sorted(missing))} do not exist; run `av-admin roles` first"
        )


def migrate(conn: psycopg.Connection) -> list[Migration]:
    """Apply pending migrations; return those applied now. Idempotent."""
    conn.autocommit = True
    _check_roles(conn)
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    try:
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                sql.Identifier(DB_SCHEMA), sql.Identifier(OWNER_ROLE)
            )
        )
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(OWNER_ROLE)))
        conn.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(DB_SCHEMA)))
        conn.execute(CREATE_TABLE_SQL)
        applied = {row[0]: row for row in conn.execute(APPLIED_SQL).fetchall()}
        done = []
        for migration in load_migrations():
            if migration.version in applied:
                _, name, checksum = applied[migration.version]
                if checksum != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{name} was changed after it was applied; "
                        "restore it and add a new migration instead"
                    )
                continue
            with conn.transaction():
                conn.execute(migration.sql)  # a trusted file shipped with the code, not a LiteralString
                conn.execute(RECORD_SQL, (migration.version, migration.name, migration.checksum))
            done.append(migration)
        return done
    finally:
        if not conn.closed and not conn.broken:
            conn.execute("RESET ROLE")
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


def applied_version(conn: psycopg.Connection) -> int | None:
    exists = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{DB_SCHEMA}.{MIGRATIONS_TABLE}",)
    ).fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute(
        sql.SQL("SELECT max(version) FROM {}.{}").format(
            sql.Identifier(DB_SCHEMA), sql.Identifier(MIGRATIONS_TABLE)
        )
    ).fetchone()
    return row[0] if row else None
