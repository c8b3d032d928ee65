"""Which database schemas this code runs on: a range, so deploys and rollbacks need no downtime.

Migrations live in ``infra/migrations``: run by `av-admin migrate` and by the admin function,
which ships them; the ingest, indexer and viewer functions do not.
Schema changes follow expand/contract (docs/deploy.md, "Upgrading"):

* an **expand** migration only adds (a table, a nullable column, an index, a function),
  so code built for an older schema keeps working on the new one. Migrations are applied
  before the new code is deployed, so old and new code both run on the expanded schema
  during a deploy, and rolling the code back needs no schema change;
* a **contract** migration removes or changes something older code uses. It declares the
  oldest code that still works once it is applied, with a header line
  ``-- av:code-built-for >= N`` (N = a schema version), and ships only in a release after
  every deployed function was built for N or later;
* an index on a table the functions write (anything larger than a few thousand rows) is
  built ``CONCURRENTLY`` in a migration of its own whose first line is
  ``-- av:no-transaction`` (infra/migrate_online.py; docs/deploy.md, "Online migrations"):
  a plain ``CREATE INDEX`` in a migration's transaction blocks that table's writes for the
  whole build.

So this code runs on a database whose version is at least ``OLDEST_SCHEMA`` (it needs
every migration it ships: migrate, then deploy) and whose contract migrations all allow
code built for ``SCHEMA_VERSION``: that includes every newer, expand-only schema.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 12  # the newest migration this code was built and tested with (a test checks)
OLDEST_SCHEMA = SCHEMA_VERSION  # the code uses everything its own migrations made
DB_SCHEMA = "av"
MIGRATIONS_TABLE = "schema_migrations"

# Fixed role names: `av-admin roles` creates them, migrations grant to them.
OWNER_ROLE = "av_owner"
INGEST_ROLE = "av_ingest"
VIEWER_ROLE = "av_viewer"

# One query for every schema this code may meet: ``to_jsonb`` reads ``code_min`` where the
# column exists (av-admin migrate adds it) and yields NULL where it does not yet.
SCHEMA_STATE_SQL = (
    "SELECT max(version), coalesce(max((to_jsonb(m) ->> 'code_min')::integer), 0) "
    f"FROM {MIGRATIONS_TABLE} m"  # noqa: S608 - a constant
)


class SchemaMismatch(RuntimeError):
    """The database schema is outside the range this code runs on; the message says what to do."""


@dataclass(frozen=True)
class SchemaState:
    """What a database holds: its newest migration, and the oldest code its contracts allow."""

    version: int | None
    code_min: int = 0


def check_schema(found: SchemaState, *, component: str) -> None:
    """Raise SchemaMismatch naming the versions unless this code runs on ``found``."""
    runs_on = (
        f"{component} (built for schema version {SCHEMA_VERSION}) runs on version {OLDEST_SCHEMA} or later"
    )
    if found.version is None:
        raise SchemaMismatch(
            f"{runs_on}, but the database has no av-cloud schema (version none); run `av-admin migrate`"
        )
    if found.version < OLDEST_SCHEMA:
        raise SchemaMismatch(
            f"{runs_on}, but the database is at version {found.version}; run `av-admin migrate` "
            "(migrations go before the code that needs them)"
        )
    if found.code_min > SCHEMA_VERSION:
        raise SchemaMismatch(
            f"{component} was built for schema version {SCHEMA_VERSION}, but the database (version "
            f"{found.version}) has a contract migration that needs code built for version "
            f"{found.code_min} or later; deploy a matching av-cloud release"
        )
