"""The SQLite state: private files, cache round trip, per-database acknowledgements, atomic writes."""

from __future__ import annotations

import sqlite3

import pytest

from client.file_health import FileHealth
from client.state import FileRecord, FileStat, SessionSummary, State, open_state


def _summary(sid: str, fp: str = "f" * 64, n: int = 3) -> SessionSummary:
    return SessionSummary(
        sid, "claude", "widget", fp, n, [[n - 1, "a" * 64], [0, "b" * 64]], f"/logs/{sid}.jsonl"
    )


def test_state_file_is_created_private(tmp_path) -> None:
    with open_state(tmp_path / "u" / "state.db") as state:
        assert state.path.stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "u").stat().st_mode & 0o777 == 0o700


def test_parse_cache_round_trips(tmp_path) -> None:
    with open_state(tmp_path / "s.db") as state:
        stat = FileStat(10, 123456789, 42)
        health = FileHealth(((7, "malformed JSON line"),), frozenset(), {"invalid_utf8": 2}, {})
        state.save_files(
            [
                FileRecord(
                    "/logs/a.jsonl",
                    "claude",
                    stat,
                    [["/logs/p.jsonl", 1, 2, 3]],
                    "k1",
                    [_summary("a")],
                    health,
                )
            ]
        )
    with open_state(tmp_path / "s.db") as state:
        cached = state.cached_files()["/logs/a.jsonl"]
        assert (
            cached.stat == stat and cached.parse_key == "k1" and cached.deps == [["/logs/p.jsonl", 1, 2, 3]]
        )
        assert cached.sessions == [_summary("a")]
        assert cached.health == health
        state.forget_files(["/logs/a.jsonl"])
        assert state.cached_files() == {}


def test_acknowledgements_are_per_endpoint_and_database(tmp_path) -> None:
    with open_state(tmp_path / "s.db") as state:
        old = state.target("https://a", "db-1")
        state.acknowledge(old, [_summary("x")])
        new = state.target("https://a", "db-2")  # the database was rebuilt
        assert new != old and state.acked(new) == {}
        assert state.acked(old)["x"].fingerprint == "f" * 64
        assert state.last_database_id("https://a") == "db-2"
        assert state.target("https://b", "db-1") not in (old, new)
        state.unacknowledge(old, ["x"])
        assert state.acked(old) == {}


def test_a_failed_transaction_writes_nothing(tmp_path) -> None:
    with open_state(tmp_path / "s.db") as state:
        target = state.target("https://a", "db")
        with pytest.raises(KeyboardInterrupt), state.transaction() as db:
            db.execute("INSERT INTO acked VALUES (?, 'x', 'f', 1, '', '', NULL, 'now', 0)", (target,))
            raise KeyboardInterrupt
        assert state.acked(target) == {}


def test_a_newer_schema_is_refused(tmp_path) -> None:
    path = tmp_path / "s.db"
    State(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(RuntimeError, match="newer av-client"):
        State(path)


V1_SCHEMA = """
CREATE TABLE files (path TEXT PRIMARY KEY, source TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, deps TEXT NOT NULL, parse_key TEXT NOT NULL,
    sessions TEXT NOT NULL, problems INTEGER NOT NULL DEFAULT 0, parsed_at TEXT NOT NULL);
CREATE TABLE targets (id INTEGER PRIMARY KEY, endpoint TEXT NOT NULL, database_id TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, UNIQUE (endpoint, database_id));
CREATE TABLE acked (target_id INTEGER NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL, fingerprint TEXT NOT NULL, message_count INTEGER NOT NULL,
    agent TEXT NOT NULL DEFAULT '', project TEXT NOT NULL DEFAULT '', file TEXT, acked_at TEXT NOT NULL,
    PRIMARY KEY (target_id, session_id));
CREATE TABLE pushes (id INTEGER PRIMARY KEY, endpoint TEXT NOT NULL, database_id TEXT,
    started_at TEXT NOT NULL, finished_at TEXT NOT NULL, exit_code INTEGER NOT NULL, summary TEXT NOT NULL);
INSERT INTO files VALUES ('/logs/a.jsonl', 'claude', 1, 2, 3, '[]', 'k', '[]', 1, 'then');
INSERT INTO targets VALUES (1, 'https://e', 'db', 'then', 'then');
INSERT INTO acked VALUES (1, 's1', 'fp', 3, 'claude', 'p', '/logs/a.jsonl', 'then');
PRAGMA user_version = 1;
"""


def test_a_state_from_the_previous_release_is_upgraded_in_place(tmp_path) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
    with open_state(path) as state:
        (cached,) = state.cached_files().values()
        assert cached.health == FileHealth()  # nothing known of it yet: reported afresh if it changes
        assert state.acked(1)["s1"].gone_reported is False
        state.gone_reported(1, ["s1"])
        assert state.acked(1)["s1"].gone_reported is True
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
