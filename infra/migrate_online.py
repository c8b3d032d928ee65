"""Migrations that run outside a transaction: index builds and drops that do not block writes.

``CREATE INDEX`` holds a SHARE lock on its table for the whole build, so every insert, update
and delete of that table waits (~90 s for migration 0012 at 1 M messages). ``CREATE INDEX
CONCURRENTLY`` only takes a SHARE UPDATE EXCLUSIVE lock, which reads and writes do not wait
for, but PostgreSQL refuses it inside a transaction block, and the migrator runs every other
migration in one. So a migration whose **first line** is ``-- av:no-transaction`` is run
statement by statement, each in its own implicit transaction, and its version is recorded
only after the last one succeeded.

Such a migration may hold only statements that are safe to run again after an interruption:
``CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS name ON ...`` and ``DROP INDEX CONCURRENTLY
IF EXISTS name``, with plain lower-case index names (created in the ``av`` schema), each ending
with ``;`` at the end of a line. A concurrent build that fails or is cancelled leaves its index
behind, marked INVALID (unused by queries but still written to); ``IF NOT EXISTS`` would skip
it, so before each build the migrator drops an INVALID index of that name and builds it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg import sql

from avcore.schema import DB_SCHEMA

NO_TRANSACTION_MARKER = "-- av:no-transaction"
_MARKER = re.compile(r"^--\s*av:no-transaction\s*$", re.MULTILINE)
_NAME = r"([a-z_][a-z0-9_]*)"
_CREATE = re.compile(
    rf"^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+IF\s+NOT\s+EXISTS\s+{_NAME}\s+ON\s", re.IGNORECASE
)
_DROP = re.compile(rf"^DROP\s+INDEX\s+CONCURRENTLY\s+IF\s+EXISTS\s+{_NAME}$", re.IGNORECASE)
# A statement ends with ";" at the end of a line (the rule above keeps strings and bodies out).
_STATEMENT_END = re.compile(r";[ \t]*$", re.MULTILINE)

INVALID_INDEX_SQL = """
SELECT NOT i.indisvalid
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s"""


@dataclass(frozen=True)
class OnlineStatement:
    sql: str
    builds: str | None  # the index a CREATE INDEX CONCURRENTLY builds; None for a drop

    @property
    def summary(self) -> str:
        """The statement's first line, to name it in an error."""
        return self.sql.splitlines()[0]


def declares_no_transaction(text: str) -> bool:
    """Whether a migration's first line is the marker; a marker anywhere else is an error."""
    first = text.split("\n", 1)[0]
    if _MARKER.fullmatch(first.strip()):
        return True
    if _MARKER.search(text):
        raise ValueError(f"`{NO_TRANSACTION_MARKER}` must be the migration's first line")
    return False


def online_statements(text: str) -> list[OnlineStatement]:
    """The statements of a no-transaction migration, in order; ValueError names one not allowed."""
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    pieces = _STATEMENT_END.split(code)
    if pieces[-1].strip():
        raise ValueError(f"statement not ended by `;` at the end of a line: {pieces[-1].strip()[:80]}")
    found = []
    for piece in pieces[:-1]:
        statement = piece.strip()
        if not statement:
            continue
        if ";" in statement:  # two statements on one line would run as one, past the check below
            raise ValueError(f"one statement per line in a no-transaction migration: {statement[:80]}")
        if created := _CREATE.match(statement):
            found.append(OnlineStatement(statement, created[1].lower()))
        elif _DROP.match(statement):
            found.append(OnlineStatement(statement, None))
        else:
            raise ValueError(
                "a no-transaction migration holds only `CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS "
                f"name ON ...` and `DROP INDEX CONCURRENTLY IF EXISTS name` statements; found: {statement[:80]}"
            )
    if not found:
        raise ValueError("a no-transaction migration holds no statement")
    return found


def repairs_before(conn: psycopg.Connection, statement: OnlineStatement) -> list[sql.Composed]:
    """What must run before ``statement``: dropping its index when an interrupted build left it INVALID.

    No live build can be the one that left it: every build runs under the migrator's advisory
    lock, which its session holds until it ends, and the caller holds that lock.
    """
    if statement.builds is None:
        return []
    row = conn.execute(INVALID_INDEX_SQL, (DB_SCHEMA, statement.builds)).fetchone()
    if row is None or not row[0]:
        return []
    return [
        sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}.{}").format(
            sql.Identifier(DB_SCHEMA), sql.Identifier(statement.builds)
        )
    ]


def run_online(conn: psycopg.Connection, statements: list[OnlineStatement]) -> None:
    """Run each statement in its own implicit transaction (``conn`` is in autocommit mode).

    ``lock_timeout`` is lifted meanwhile: the lock these statements take does not conflict with
    reads or writes, so waiting for it queues nobody's queries, and a concurrent build must be
    allowed to wait for the transactions older than it to end, however long they take.
    """
    if not conn.autocommit:
        raise RuntimeError("a no-transaction migration needs an autocommit connection")
    conn.execute("SET lock_timeout = 0")
    for statement in statements:
        for repair in repairs_before(conn, statement):
            conn.execute(repair)
        conn.execute(statement.sql)  # a trusted file shipped with the code, not a LiteralString


def script_lines(conn: psycopg.Connection, statements: list[OnlineStatement]) -> list[str]:
    """The statements as ``--dry-run`` prints them, with the repairs the database needs now."""
    lines = []
    for statement in statements:
        for repair in repairs_before(conn, statement):
            lines.append(f"-- {statement.builds} is INVALID (an interrupted build): dropped and built again")
            lines.append(repair.as_string(conn) + ";")
        lines.append(statement.sql + ";")
    return lines
