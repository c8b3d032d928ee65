"""A database left at the schema before one migration, as the previous release ran on it, with a
way to apply that migration and the rest: what each test of a data migration starts from."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from infra import migrate as migrations
from infra.roles import ensure_roles

ApplyTheRest = Callable[..., list[migrations.Migration]]


@contextmanager
def schema_before(
    name: str, db: Any, pg_server: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[psycopg.Connection, ApplyTheRest]]:
    """An autocommit administrator connection to ``db`` migrated up to, not including, migration
    ``name``; the callable applies ``name`` and every later one (keywords go to ``migrate``)."""
    everything = migrations.load_migrations()
    upto = next(i for i, m in enumerate(everything) if m.name == name)
    with psycopg.connect(db.admin_dsn, autocommit=True) as conn:
        ensure_roles(
            conn, ingest_password=pg_server.ingest_password, viewer_password=pg_server.viewer_password
        )
        monkeypatch.setattr(migrations, "load_migrations", lambda: everything[:upto])
        migrations.migrate(conn)

        def apply_the_rest(**options: Any) -> list[migrations.Migration]:
            monkeypatch.setattr(migrations, "load_migrations", lambda: everything)
            return migrations.migrate(conn, **options)

        yield conn, apply_the_rest
