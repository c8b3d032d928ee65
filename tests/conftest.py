"""Shared fixtures: a real PostgreSQL (see tests/pg.py) and a clean environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from client.sources.registry import sources
from tests.pg import PgServer, TestDatabase, create_database, drop_database, prepare_template, start_server

# Timing is not what these properties are about; a loaded CI machine must not fail them.
hypothesis_settings.register_profile("av", deadline=None)
hypothesis_settings.load_profile("av")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


# Where agents' stores are found: every source's override, and the base folders of its defaults.
SOURCE_VARIABLES = frozenset(s.env_var for s in sources()) | {
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "XDG_STATE_HOME",
    "APPDATA",
    "LOCALAPPDATA",
}


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AV_*/PG* settings or source overrides leak between tests; each test gets its own user dir."""
    for name in list(os.environ):
        if (
            name.startswith(("AV_", "PG", "CLAUDE_", "CODEX_", "GEMINI_")) and name != "AV_TEST_DSN"
        ) or name in SOURCE_VARIABLES:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AV_USER_PATH", str(tmp_path / "user"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with start_server() as server:
        prepare_template(server)
        yield server


@pytest.fixture
def db(pg_server: PgServer) -> Iterator[TestDatabase]:
    """A freshly migrated database with the roles, dropped afterwards."""
    database = create_database(pg_server)
    yield database
    drop_database(database)


@pytest.fixture
def empty_db(pg_server: PgServer) -> Iterator[TestDatabase]:
    database = create_database(pg_server, migrated=False)
    yield database
    drop_database(database)


# The fast lane (`make test-fast`, `pytest -m "not integration"`) is everything that needs none
# of these: a PostgreSQL cluster, a browser, aws-sam-cli, the local stack, the shared corpus.
SLOW_MARKERS = ("browser", "sam", "conformance")
# Fixtures that start a PostgreSQL cluster: a test using one (however indirectly) is not fast.
# A new fixture that starts a cluster of its own belongs here.
CLUSTER_FIXTURES = frozenset({"pg_server", "managed_cluster"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        needs_database = not CLUSTER_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
        end_to_end = item.path.is_relative_to(REPO / "tests" / "e2e")
        if needs_database or end_to_end or any(item.get_closest_marker(m) for m in SLOW_MARKERS):
            item.add_marker(pytest.mark.integration)


def pytest_report_header(config: pytest.Config) -> str:
    kind = (
        "AV_TEST_DSN"
        if os.environ.get("AV_TEST_DSN")
        else "testcontainers if Docker answers, else a throwaway cluster"
    )
    return f"av-cloud test database: {kind}"


@pytest.fixture
def apps(db: TestDatabase):
    from tests.apps import build_apps

    built = build_apps(db)
    yield built
    built.ingest.app.state.db.close()
    built.viewer.app.state.db.close()
