"""The three database roles and what each may do.

* ``av_owner`` owns the schema and runs migrations (NOLOGIN: administrators
  ``SET ROLE`` to it, so no extra password exists);
* ``av_ingest`` is the writer: DML on the data tables only (grants live in the
  migrations, next to the tables they cover);
* ``av_viewer`` is the reader: SELECT only, and every transaction it opens is
  read-only by default, so even a bug that tried to write would be refused.

``ensure_roles`` is idempotent and sets passwords only when given them.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from avcore.schema import DB_SCHEMA, INGEST_ROLE, OWNER_ROLE, VIEWER_ROLE


def _role_exists(conn: psycopg.Connection, role: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None


def _ensure_role(conn: psycopg.Connection, role: str, *, login: bool, password: str | None) -> None:
    ident = sql.Identifier(role)
    if not _role_exists(conn, role):
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(ident))
    attrs = sql.SQL("LOGIN") if login else sql.SQL("NOLOGIN")
    conn.execute(sql.SQL("ALTER ROLE {} {} NOSUPERUSER NOCREATEDB NOCREATEROLE").format(ident, attrs))
    if password is not None:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)))
    conn.execute(sql.SQL("ALTER ROLE {} SET search_path = {}").format(ident, sql.Identifier(DB_SCHEMA)))


def ensure_roles(
    conn: psycopg.Connection, *, ingest_password: str | None = None, viewer_password: str | None = None
) -> None:
    """Create or update the owner, writer and reader roles, and the schema."""
    conn.autocommit = True
    with conn.transaction():
        _ensure_role(conn, OWNER_ROLE, login=False, password=None)
        _ensure_role(conn, INGEST_ROLE, login=True, password=ingest_password)
        _ensure_role(conn, VIEWER_ROLE, login=True, password=viewer_password)
        conn.execute(
            sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(
                sql.Identifier(VIEWER_ROLE)
            )
        )
        # The administrator must be able to SET ROLE av_owner to migrate.
        conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(OWNER_ROLE)))
        dbname = conn.info.dbname
        conn.execute(
            sql.SQL("GRANT CREATE, CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(dbname), sql.Identifier(OWNER_ROLE)
            )
        )
        conn.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}, {}").format(
                sql.Identifier(dbname), sql.Identifier(INGEST_ROLE), sql.Identifier(VIEWER_ROLE)
            )
        )
        # Nobody else may create objects in public (PostgreSQL < 15 allowed it by default).
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                sql.Identifier(DB_SCHEMA), sql.Identifier(OWNER_ROLE)
            )
        )
