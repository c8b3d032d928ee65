"""The shared SQLite reader: read-only, one snapshot, never in the agent's way, a private copy when needed."""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from pathlib import Path

import pytest

from client.sources import sqlite_store
from client.sources.sqlite_store import StoreUnreadable, read_snapshot, read_store, table_columns


def _writer(path: Path, *, wal: bool = True) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    if wal:
        con.execute("PRAGMA journal_mode = WAL")
    con.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    return con


def _count(path: Path) -> int:
    with read_snapshot(path) as con:
        return int(con.execute("SELECT count(*) FROM t").fetchone()[0])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reads_committed_rows_of_a_wal_database_and_never_blocks_the_writer(tmp_path: Path) -> None:
    db = tmp_path / "agent.db"
    w = _writer(db)
    w.execute("INSERT INTO t VALUES (1)")  # committed, still only in the WAL
    w.execute("BEGIN")
    w.execute("INSERT INTO t VALUES (2)")  # not committed: invisible
    with read_snapshot(db) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 1
        w.execute("COMMIT")  # the agent commits while we read: never locked out
        w.execute("INSERT INTO t VALUES (3)")
        # ...and our snapshot does not move under us: sessions and messages stay consistent.
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    assert _count(db) == 3
    w.close()


def test_the_reader_never_writes(tmp_path: Path) -> None:
    db = tmp_path / "agent.db"
    w = _writer(db, wal=False)
    w.execute("INSERT INTO t VALUES (1)")
    w.close()
    before = _digest(db)
    with read_snapshot(db) as con:
        with pytest.raises(sqlite3.OperationalError):
            con.execute("INSERT INTO t VALUES (2)")
    assert _digest(db) == before and _count(db) == 1


def test_a_rollback_journal_database_is_free_for_the_writer_once_the_read_ends(tmp_path: Path) -> None:
    db = tmp_path / "agent.db"
    _writer(db, wal=False).close()
    got = read_store(db, lambda con: con.execute("SELECT count(*) FROM t").fetchall())
    assert got == [(0,)]
    w = sqlite3.connect(db, isolation_level=None, timeout=0)
    w.execute("BEGIN EXCLUSIVE")  # would fail at once if we still held a lock
    w.execute("ROLLBACK")
    w.close()


def test_an_exclusive_writer_is_read_through_a_private_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    db = tmp_path / "agent.db"
    w = _writer(db)
    w.execute("PRAGMA locking_mode = EXCLUSIVE")
    w.execute("INSERT INTO t VALUES (1)")
    w.execute("INSERT INTO t VALUES (2)")  # the writer keeps its exclusive lock: the live file is locked
    with pytest.raises(sqlite3.OperationalError):
        con = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=0.1)
        con.execute("SELECT count(*) FROM t").fetchone()
    assert _count(db) == 2  # committed rows, from the copy of db + wal
    assert list(scratch.iterdir()) == []  # the private copy is gone
    w.close()


def test_a_copy_that_keeps_changing_is_transient(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "agent.db"
    _writer(db).close()
    calls = iter(range(1000))
    monkeypatch.setattr(sqlite_store, "_stats", lambda paths: [(next(calls), 0)] + [None] * (len(paths) - 1))
    monkeypatch.setattr(sqlite_store, "time", type("T", (), {"sleep": staticmethod(lambda s: None)}))
    with pytest.raises(StoreUnreadable) as info, sqlite_store._private_copy(db):
        pass
    assert info.value.transient


def test_not_a_database_and_missing_files_are_permanent_problems(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    problem = read_store(junk, lambda con: con.execute("SELECT 1").fetchall())
    assert not isinstance(problem, list)
    assert "not a readable SQLite database" in problem.reason and not problem.transient
    missing = read_store(tmp_path / "nope.db", lambda con: [])
    assert not isinstance(missing, list) and "no such file" in missing.reason


def test_a_path_with_uri_characters_opens_the_right_file(tmp_path: Path) -> None:
    odd = tmp_path / "we?ird#na%me"
    odd.mkdir()
    db = odd / "agent.db"
    w = _writer(db)
    w.execute("INSERT INTO t VALUES (1)")
    w.close()
    assert _count(db) == 1


def test_table_columns_tell_old_schemas_from_new(tmp_path: Path) -> None:
    db = tmp_path / "agent.db"
    _writer(db).close()
    with read_snapshot(db) as con:
        assert table_columns(con, "t") == {"x"}
        assert table_columns(con, "absent") == set()


def test_text_that_is_not_utf8_is_repaired_not_fatal(tmp_path: Path) -> None:
    from client.sources import decoding

    db = tmp_path / "agent.db"
    w = _writer(db)
    w.execute("CREATE TABLE notes (body TEXT)")
    w.execute("INSERT INTO notes VALUES (CAST(? AS TEXT))", (b"caf\xe9",))
    w.close()
    with decoding.counting() as repairs:
        rows = read_store(db, lambda con: con.execute("SELECT body FROM notes").fetchall())
    assert rows == [("caf\ufffd",)] and repairs.invalid_utf8 == 1
