"""Numbered SQL migrations, applied in order, each in its own transaction with its record.

``infra/migrations/NNNN_name.sql`` files are the schema's history. ``migrate``
takes a session-level advisory lock so two operators (or a deploy hook and a
human) never run migrations at once, skips what is recorded, refuses when an
applied migration was edited since (its checksum changed), and applies the rest
as the owner role. Never edit an applied migration: add a new one.

A migration whose first line is ``-- av:no-transaction`` (online index builds) runs
statement by statement outside a transaction instead (``infra/migrate_online.py``).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import sql

from avcore.schema import DB_SCHEMA, INGEST_ROLE, MIGRATIONS_TABLE, OWNER_ROLE, VIEWER_ROLE
from infra.admin_db import AdminError, become_owner
from infra.migrate_online import (
    NO_TRANSACTION_MARKER,
    OnlineStatement,
    declares_no_transaction,
    online_statements,
    run_online,
    script_lines,
)

# Arbitrary but fixed: the advisory lock key every migrator agrees on.
MIGRATION_LOCK_KEY = 0x61766D6967  # "avmig"
FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# How long a migration statement may wait for a table lock before it gives up (see migrate()).
DEFAULT_LOCK_TIMEOUT_MS = 5_000
# How often a migrator waiting for another one tries the advisory lock again (see _lock()).
LOCK_RETRY_S = 0.2

# A contract migration's header: "-- av:code-built-for >= N" (see avcore/schema.py).
CODE_MIN_HEADER = re.compile(r"^--\s*av:code-built-for\s*>=\s*(\d+)\s*$", re.MULTILINE)

CREATE_TABLE_SQL = f"""
CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    code_min   integer NOT NULL DEFAULT 0
)"""
# Databases migrated before schema ranges existed lack the column; the functions read it
# through to_jsonb, so they work with and without it.
HAS_CODE_MIN_SQL = f"""
SELECT 1 FROM information_schema.columns
WHERE table_schema = %s AND table_name = '{MIGRATIONS_TABLE}' AND column_name = 'code_min'"""
ADD_CODE_MIN_SQL = f"ALTER TABLE {MIGRATIONS_TABLE} ADD COLUMN code_min integer NOT NULL DEFAULT 0"
RECORD_SQL = f"INSERT INTO {MIGRATIONS_TABLE} (version, name, checksum, code_min) VALUES (%s, %s, %s, %s)"  # noqa: S608


class MigrationError(AdminError):
    """Migrations cannot be applied safely; the message says why and what to do."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def code_min(self) -> int:
        """The oldest code (by the schema version it was built for) this migration lets run; 0: any."""
        found = CODE_MIN_HEADER.findall(self.sql)
        return max((int(n) for n in found), default=0)

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"

    @property
    def online(self) -> list[OnlineStatement] | None:
        """Its statements when it runs outside a transaction (``-- av:no-transaction``), else None."""
        if not declares_no_transaction(self.sql):
            return None
        return online_statements(self.sql)


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
        if migration.code_min > migration.version:
            raise MigrationError(
                f"migration {migration.version:04d}_{migration.name} declares code-built-for >= "
                f"{migration.code_min}, a schema version after its own"
            )
        try:
            migration.online  # noqa: B018 - parsed now, so a malformed file fails before anything runs
        except ValueError as exc:
            raise MigrationError(f"migration {migration.label}: {exc}") from None
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


def _schema_exists(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (DB_SCHEMA,)).fetchone() is not None


def pending(conn: psycopg.Connection) -> list[Migration]:
    """Migrations not yet applied (all of them on an empty database); refuses edited ones."""
    exists = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{DB_SCHEMA}.{MIGRATIONS_TABLE}",)
    ).fetchone()
    applied: dict[int, tuple[int, str, str]] = {}
    if exists and exists[0]:
        query = sql.SQL("SELECT version, name, checksum FROM {}.{}").format(
            sql.Identifier(DB_SCHEMA), sql.Identifier(MIGRATIONS_TABLE)
        )
        applied = {row[0]: row for row in conn.execute(query).fetchall()}
    todo = []
    for migration in load_migrations():
        if migration.version in applied:
            _, name, checksum = applied[migration.version]
            if checksum != migration.checksum:
                raise MigrationError(
                    f"migration {migration.version:04d}_{name} was changed after it was applied; "
                    "restore it and add a new migration instead"
                )
            continue
        todo.append(migration)
    return todo


def migrate(conn: psycopg.Connection, *, lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS) -> list[Migration]:
    """Apply pending migrations; return those applied now. Idempotent.

    Each statement waits at most ``lock_timeout_ms`` for a table lock: a migration queued
    behind a long query would otherwise make every later query queue behind it, which is an
    outage. When the wait is over, that migration is rolled back and the error says to retry.
    """
    conn.autocommit = True
    _check_roles(conn)
    _lock(conn)
    try:
        if not _schema_exists(conn):
            # As the administrator: creating a schema needs CREATE on the database, which
            # av_owner may not have. `av-admin roles` normally created it already.
            conn.execute(
                sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
                    sql.Identifier(DB_SCHEMA), sql.Identifier(OWNER_ROLE)
                )
            )
        become_owner(conn)
        conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{lock_timeout_ms}ms")))
        conn.execute(CREATE_TABLE_SQL)
        if conn.execute(HAS_CODE_MIN_SQL, (DB_SCHEMA,)).fetchone() is None:
            conn.execute(ADD_CODE_MIN_SQL)
        done: list[Migration] = []
        for migration in pending(conn):
            online = migration.online
            if online is not None:
                _apply_online(conn, migration, online, lock_timeout_ms, done)
                done.append(migration)
                continue
            try:
                with conn.transaction():
                    conn.execute(migration.sql)  # a trusted file shipped with the code, not a LiteralString
                    conn.execute(
                        RECORD_SQL,
                        (migration.version, migration.name, migration.checksum, migration.code_min),
                    )
            except psycopg.errors.LockNotAvailable:
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name} waited more than "
                    f"{lock_timeout_ms} ms for a table lock (a long query or transaction holds it) and "
                    "was rolled back; nothing of it was applied. Run `av-admin migrate` again"
                    + (f" ({len(done)} earlier migration(s) of this run are applied)" if done else "")
                ) from None
            done.append(migration)
        return done
    finally:
        if not conn.closed and not conn.broken:
            conn.execute("RESET ROLE")
            conn.execute("RESET lock_timeout")
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


def _lock(conn: psycopg.Connection) -> None:
    """Take the migrators' advisory lock, waiting for another migrator to finish.

    By polling, not ``pg_advisory_lock()``: a statement waiting for the lock keeps a snapshot
    open, and the other migrator's ``CREATE INDEX CONCURRENTLY`` waits for every older snapshot
    to end; each would wait for the other, and PostgreSQL would cancel one as a deadlock.
    """
    while True:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (MIGRATION_LOCK_KEY,)).fetchone()
        if row and row[0]:
            return
        time.sleep(LOCK_RETRY_S)


def _apply_online(
    conn: psycopg.Connection,
    migration: Migration,
    statements: list[OnlineStatement],
    lock_timeout_ms: int,
    done: list[Migration],
) -> None:
    """Run a no-transaction migration's statements, then record it; say what is left if one fails."""
    try:
        run_online(conn, statements)
        conn.execute(RECORD_SQL, (migration.version, migration.name, migration.checksum, migration.code_min))
    except psycopg.Error as exc:
        if not conn.broken:  # a lost connection took its settings with it
            conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{lock_timeout_ms}ms")))
        reason = (exc.diag.message_primary or str(exc)).strip()
        raise MigrationError(
            f"migration {migration.label} (run outside a transaction) stopped: {reason}. "
            "It is not recorded; the statements before the one that failed stay applied, and an "
            "index build it interrupted is left INVALID (queries ignore it). Run `av-admin migrate` "
            "again: it drops such an index and builds it again"
            + (f" ({len(done)} earlier migration(s) of this run are applied)" if done else "")
        ) from None
    conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{lock_timeout_ms}ms")))


def migration_script(conn: psycopg.Connection) -> str:
    """What ``migrate`` would run now, as SQL (``av-admin migrate --dry-run``); changes nothing."""
    _check_roles(conn)
    todo = pending(conn)
    lines = [f"-- av-admin migrate: {len(todo)} pending migration(s)"]
    if not todo:
        return "\n".join([*lines, "-- nothing to apply: the schema is up to date"])
    owner, schema = sql.Identifier(OWNER_ROLE), sql.Identifier(DB_SCHEMA)
    if not _schema_exists(conn):
        lines.append(sql.SQL("CREATE SCHEMA {} AUTHORIZATION {};").format(schema, owner).as_string(conn))
    lines.append(sql.SQL("SET ROLE {};").format(owner).as_string(conn))
    lines.append(sql.SQL("SET search_path = {};").format(schema).as_string(conn))
    lines.append(CREATE_TABLE_SQL.strip() + ";")
    if conn.execute(HAS_CODE_MIN_SQL, (DB_SCHEMA,)).fetchone() is None:
        lines.append(ADD_CODE_MIN_SQL + ";  -- only where the table predates it")
    for migration in todo:
        online = migration.online
        if online is not None:
            comments = [line for line in migration.sql.splitlines() if line.lstrip().startswith("--")]
            lines += [
                f"-- {migration.label}: outside a transaction ({NO_TRANSACTION_MARKER}), one statement "
                "at a time; recorded only after the last one succeeded",
                *comments[1:],
                *script_lines(conn, online),
                f"INSERT INTO {MIGRATIONS_TABLE} (version, name, checksum, code_min) "
                f"VALUES ({migration.version}, '{migration.name}', '{migration.checksum}', {migration.code_min});",
            ]
            continue
        lines += [
            f"-- {migration.version:04d}_{migration.name}",
            "BEGIN;",
            migration.sql.strip(),
            f"INSERT INTO {MIGRATIONS_TABLE} (version, name, checksum, code_min) "
            f"VALUES ({migration.version}, '{migration.name}', '{migration.checksum}', {migration.code_min});",
            "COMMIT;",
        ]
    lines.append("RESET ROLE;")
    return "\n".join(lines)


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
