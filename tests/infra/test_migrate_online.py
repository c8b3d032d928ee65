"""Migrations outside a transaction (`-- av:no-transaction`): migration 0012's index is built
CONCURRENTLY, so writes to search_chunks go on meanwhile; an interrupted build is repaired by the
next run; the version is recorded only once every statement succeeded; two migrators do not
deadlock. Each wait below is on a state PostgreSQL reports (pg_locks, pg_stat_activity), never
on a duration."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from infra import migrate as migrations
from infra.cli import main
from infra.migrate import Migration, MigrationError
from tests.infra.migration_steps import schema_before

INDEX = "search_chunks_day_words"


def wait_for(what: str, condition: Callable[[], bool]) -> None:
    """Until ``condition()`` holds; the limit only stops a broken test from hanging."""
    for _ in range(3000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def waits_for_a_lock(watcher: psycopg.Connection, pid: int) -> bool:
    return (
        watcher.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted", (pid,)).fetchone()
        is not None
    )


def index_valid(conn: psycopg.Connection, name: str = INDEX) -> bool | None:
    """True/False: the index exists and is valid/INVALID; None: it does not exist."""
    row = conn.execute(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relnamespace = 'av'::regnamespace AND c.relname = %s",
        (name,),
    ).fetchone()
    return None if row is None else bool(row[0])


def recorded(conn: psycopg.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT version FROM av.schema_migrations ORDER BY version")]


def a_session(conn: psycopg.Connection, name: str) -> int:
    machine = conn.execute(
        "INSERT INTO av.machines (name) VALUES (%s) RETURNING id",  # one each: no row lock shared
        (name.replace(" ", "-"),),
    ).fetchone()
    assert machine is not None
    row = conn.execute(
        "INSERT INTO av.sessions (machine_id, session_id, agent, fingerprint) VALUES (%s, %s, 'claude', 'f') "
        "RETURNING id",
        (machine[0], name),
    ).fetchone()
    assert row is not None
    return int(row[0])


def a_chunk(conn: psycopg.Connection, session_pk: int, ordinal: int) -> None:
    conn.execute(
        "INSERT INTO av.search_chunks (session_pk, ordinal, call_index, chunk, start_char, hour, tsv, body) "
        "VALUES (%s, %s, 0, 0, 1, 490000, to_tsvector('simple', 'rare words'), 'rare words')",
        (session_pk, ordinal),
    )


@contextmanager
def held_writer(dsn: str) -> Iterator[psycopg.Connection]:
    """A transaction that has written to search_chunks and stays open (as an indexer pass does)."""
    with psycopg.connect(dsn) as writer:
        a_chunk(writer, a_session(writer, "held"), 0)
        yield writer


@contextmanager
def before_0012(empty_db: Any, pg_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    with schema_before("search_by_day", empty_db, pg_server, monkeypatch) as (conn, apply_the_rest):
        a_chunk(conn, a_session(conn, "old"), 0)
        yield conn, apply_the_rest


def test_0012_builds_concurrently_while_writes_to_search_chunks_and_session_deletes_go_on(
    empty_db, pg_server, monkeypatch
) -> None:
    with (
        before_0012(empty_db, pg_server, monkeypatch) as (conn, apply_the_rest),
        psycopg.connect(empty_db.admin_dsn, autocommit=True) as watcher,
        ThreadPoolExecutor(1) as pool,
    ):
        with held_writer(empty_db.admin_dsn) as older:
            build: Future[list[Migration]] = pool.submit(apply_the_rest)
            # the build has begun and waits for the older writer to end
            wait_for("the build waits", lambda: waits_for_a_lock(watcher, conn.info.backend_pid))
            with psycopg.connect(empty_db.admin_dsn) as other:
                # a SHARE lock (plain CREATE INDEX) held or queued would make this fail at once
                other.execute("LOCK TABLE av.search_chunks IN ROW EXCLUSIVE MODE NOWAIT")
                pk = a_session(other, "written meanwhile")
                a_chunk(other, pk, 0)
                other.execute("DELETE FROM av.sessions WHERE session_id = 'old'")  # cascades into chunks
            assert not build.done()
            assert index_valid(watcher) is False  # still being built
            older.commit()
        assert [m.name for m in build.result(timeout=60)] == ["search_by_day"]
        assert index_valid(watcher) is True
        assert recorded(watcher)[-1] == 12
        chunks = watcher.execute(
            "SELECT s.session_id FROM av.search_chunks c JOIN av.sessions s ON s.id = c.session_pk"
        )
        assert sorted(r[0] for r in chunks) == ["held", "written meanwhile"]


@pytest.mark.parametrize("interrupt", ["pg_cancel_backend", "pg_terminate_backend"])
def test_an_interrupted_build_is_not_recorded_and_the_next_run_builds_it_again(
    interrupt, empty_db, pg_server, monkeypatch
) -> None:
    with (
        before_0012(empty_db, pg_server, monkeypatch) as (conn, apply_the_rest),
        psycopg.connect(empty_db.admin_dsn, autocommit=True) as watcher,
        ThreadPoolExecutor(1) as pool,
    ):
        with held_writer(empty_db.admin_dsn):
            build = pool.submit(apply_the_rest)
            wait_for("the build waits", lambda: waits_for_a_lock(watcher, conn.info.backend_pid))
            # a cancelled statement, or a lost connection (the function stopped, the network cut)
            watcher.execute(f"SELECT {interrupt}(%s)", (conn.info.backend_pid,))
            with pytest.raises(
                MigrationError, match=r"0012_search_by_day \(run outside a transaction\) stopped: "
            ) as err:
                build.result(timeout=60)
            assert "not recorded" in str(err.value) and "INVALID" in str(err.value)
        assert index_valid(watcher) is False  # left by the cancelled build
        assert 12 not in recorded(watcher)
        # the next run, from av-admin: --dry-run says what it will do, then it does it
        cli = CliRunner()
        plan = cli.invoke(main, ["migrate", "--dry-run", "--dsn", empty_db.admin_dsn])
        assert plan.exit_code == 0, plan.output
        assert f'DROP INDEX CONCURRENTLY IF EXISTS "av"."{INDEX}";\nCREATE INDEX CONCURRENTLY' in plan.output
        assert "BEGIN;" not in plan.output.split("-- 0012_search_by_day")[1]
        ran = cli.invoke(main, ["migrate", "--dsn", empty_db.admin_dsn])
        assert ran.exit_code == 0, ran.output
        assert "applied 0012_search_by_day" in ran.output
        assert index_valid(watcher) is True
        assert recorded(watcher)[-1] == 12


def test_the_version_is_recorded_only_after_every_statement_succeeded(db, monkeypatch) -> None:
    everything = migrations.load_migrations()
    top = everything[-1].version + 1
    good = "CREATE INDEX CONCURRENTLY IF NOT EXISTS chunks_by_ordinal ON search_chunks (ordinal);\n"
    bad = "CREATE INDEX CONCURRENTLY IF NOT EXISTS chunks_by_nothing ON search_chunks (no_such_column);\n"
    monkeypatch.setattr(
        migrations,
        "load_migrations",
        lambda: [*everything, Migration(top, "two", f"-- av:no-transaction\n{good}{bad}")],
    )
    with db.admin() as conn:
        with pytest.raises(MigrationError, match='stopped: column "no_such_column" does not exist'):
            migrations.migrate(conn)
        assert top not in recorded(conn)
        assert index_valid(conn, "chunks_by_ordinal") is True  # the statement before stays applied
        assert index_valid(conn, "chunks_by_nothing") is None
        assert conn.execute("SHOW lock_timeout").fetchone() == ("0",)  # reset after the run, as before
        fixed = Migration(top, "two", f"-- av:no-transaction\n{good}{bad.replace('no_such_column', 'chunk')}")
        monkeypatch.setattr(migrations, "load_migrations", lambda: [*everything, fixed])
        assert [m.version for m in migrations.migrate(conn)] == [top]
        assert recorded(conn)[-1] == top


def test_a_second_migrator_waits_without_deadlocking_the_build(empty_db, pg_server, monkeypatch) -> None:
    with (
        before_0012(empty_db, pg_server, monkeypatch) as (conn, apply_the_rest),
        psycopg.connect(empty_db.admin_dsn, autocommit=True) as watcher,
        psycopg.connect(empty_db.admin_dsn, autocommit=True) as second,
        ThreadPoolExecutor(2) as pool,
    ):
        with held_writer(empty_db.admin_dsn) as older:
            build = pool.submit(apply_the_rest)
            wait_for("the build waits", lambda: waits_for_a_lock(watcher, conn.info.backend_pid))
            queued = pool.submit(migrations.migrate, second)
            wait_for(
                "the second migrator asks for the lock",
                lambda: (
                    watcher.execute(
                        "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND query LIKE '%%advisory_lock%%'",
                        (second.info.backend_pid,),
                    ).fetchone()
                    is not None
                ),
            )
            older.commit()
        assert [m.name for m in build.result(timeout=60)] == ["search_by_day"]
        assert queued.result(timeout=60) == []
        assert index_valid(watcher) is True


def test_the_no_transaction_marker_and_what_such_a_migration_may_hold() -> None:
    day = next(m for m in migrations.load_migrations() if m.name == "search_by_day")
    assert day.sql.startswith("-- av:no-transaction\n")
    assert [(s.builds, s.summary.split(" ON ")[0]) for s in day.online or []] == [
        (INDEX, f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX}")
    ]
    assert Migration(1, "plain", "CREATE INDEX x ON t (a);").online is None
    assert Migration(1, "drop", "-- av:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS x;\n").online
    refused = {
        "not first": "-- a note\n-- av:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS x;\n",
        "not re-runnable": "-- av:no-transaction\nCREATE INDEX CONCURRENTLY x ON t (a);\n",
        "not an index": "-- av:no-transaction\nUPDATE t SET a = 1;\n",
        "not ended": "-- av:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS x",
        "two on a line": "-- av:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS x ON t (a); UPDATE t SET a = 1;\n",
        "empty": "-- av:no-transaction\n",
    }
    for why, text in refused.items():
        with pytest.raises(ValueError):  # noqa: PT011 - each message is checked through load_migrations below
            _ = Migration(1, why, text).online
    everything = migrations.load_migrations()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            migrations.resources,
            "files",
            lambda _: _Dir(
                [_File(m.version, m.name, m.sql) for m in everything[:-1]]
                + [_File(everything[-1].version, "bad", refused["not an index"])]
            ),
        )
        with pytest.raises(
            MigrationError,
            match=rf"migration {everything[-1].version:04d}_bad: a no-transaction migration holds only",
        ):
            migrations.load_migrations()


class _Dir:
    def __init__(self, files: list[_File]) -> None:
        self._files = files

    def iterdir(self) -> list[_File]:
        return self._files


class _File:
    """A stand-in for an entry of ``importlib.resources.files('infra.migrations')``."""

    def __init__(self, version: int, name: str, text: str) -> None:
        self.name, self._text = f"{version:04d}_{name}.sql", text

    def read_text(self, encoding: str) -> str:
        return self._text
