"""Administrator connections for av-admin, under the same TLS policy as the functions."""

from __future__ import annotations

import os

import psycopg
from psycopg import sql

from avcore.db.policy import check_connected, plan_connection, scrub_secret
from avcore.db.pool import DatabaseUnavailable
from avcore.schema import DB_SCHEMA, OWNER_ROLE


class AdminError(RuntimeError):
    """An operator command cannot proceed; the message names what is missing and the fix."""


def admin_dsn(explicit: str | None) -> str:
    dsn = explicit or os.environ.get("AV_ADMIN_DSN")
    if not dsn:
        raise AdminError("no administrator DSN: pass --dsn or set AV_ADMIN_DSN")
    return dsn


def connect_admin(dsn: str, *, allow_insecure: bool = False) -> psycopg.Connection:
    """An autocommit connection with search_path=av, TimeZone=UTC, TLS enforced for remote hosts."""
    plan = plan_connection(dsn, allow_insecure=allow_insecure, application_name="av-admin")
    try:
        conn = psycopg.connect(plan.conninfo(), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {plan.display_host}: {scrub_secret(str(exc).strip(), dsn)}"
        ) from None
    check_connected(conn, plan, allow_insecure=allow_insecure)
    return conn


def become_owner(conn: psycopg.Connection) -> None:
    """``SET ROLE av_owner`` and ``search_path = av``, or say exactly what is missing.

    Migrations and credentials act as the schema's owner, whoever the administrator is:
    on managed PostgreSQL the master user is not a superuser, so it reaches the tables
    only through its membership in av_owner, which ``av-admin roles`` grants it.
    """
    try:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(OWNER_ROLE)))
    except psycopg.errors.UndefinedObject:
        raise AdminError(f"role {OWNER_ROLE} does not exist; run `av-admin roles` first") from None
    except psycopg.errors.InsufficientPrivilege:
        row = conn.execute("SELECT session_user").fetchone()
        name = row[0] if row else "this user"
        raise AdminError(
            f"{name} is not a member of {OWNER_ROLE}, which owns the av-cloud schema: run "
            f"`av-admin roles` as {name} (it grants the membership to whoever runs it), or have a role "
            f"with the ADMIN option on {OWNER_ROLE} run `GRANT {OWNER_ROLE} TO {name}`"
        ) from None
    conn.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(DB_SCHEMA)))
