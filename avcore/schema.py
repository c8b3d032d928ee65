"""The schema version this code understands.

Migrations live in ``infra/migrations`` (operator tooling, not shipped to Lambda);
the functions only need the number, to refuse a database they do not understand.
A test asserts this equals the highest migration number.
"""

from __future__ import annotations

SCHEMA_VERSION = 5
DB_SCHEMA = "av"
MIGRATIONS_TABLE = "schema_migrations"

# Fixed role names: `av-admin roles` creates them, migrations grant to them.
OWNER_ROLE = "av_owner"
INGEST_ROLE = "av_ingest"
VIEWER_ROLE = "av_viewer"


class SchemaMismatch(RuntimeError):
    """The database schema version is not the one this code was built for."""


def check_schema_version(found: int | None, *, component: str) -> None:
    """Raise SchemaMismatch naming both versions unless ``found`` is ours."""
    if found == SCHEMA_VERSION:
        return
    if found is None:
        raise SchemaMismatch(
            f"{component} understands schema version {SCHEMA_VERSION}, but the database has no "
            f"av-cloud schema (version none); run `av-admin migrate`"
        )
    if found < SCHEMA_VERSION:
        raise SchemaMismatch(
            f"{component} understands schema version {SCHEMA_VERSION}, but the database is at "
            f"version {found}; run `av-admin migrate` to upgrade it"
        )
    raise SchemaMismatch(
        f"{component} understands schema version {SCHEMA_VERSION}, but the database is at "
        f"version {found}, which is newer; deploy the matching av-cloud release"
    )
