"""Administrator connections for av-admin, under the same TLS policy as the functions."""

from __future__ import annotations

import os

import click
import psycopg

from avcore.db.policy import check_connected, plan_connection, scrub_secret
from avcore.db.pool import DatabaseUnavailable


def admin_dsn(explicit: str | None) -> str:
    dsn = explicit or os.environ.get("AV_ADMIN_DSN")
    if not dsn:
        raise click.ClickException("no administrator DSN: pass --dsn or set AV_ADMIN_DSN")
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
