"""Local state of av-client: one SQLite file in the user directory (0600).

What it holds, and why it is safe to lose:

* ``files`` — a parse cache. A file whose path, size, mtime and inode (and
  those of the files its parse also read, e.g. a subagent's parent log) are
  unchanged is not even opened: its sessions' fingerprints, message counts,
  checkpoints, agent and project come from here. ``parse_key`` names the
  redaction rule set; changing it (``--no-redact``, new ``redact_patterns``)
  re-reads everything, because redaction changes fingerprints.
* ``targets`` — one row per (endpoint, database_id) this machine has pushed to.
  Every server answer names its database; a new id (rebuilt database, another
  server behind the same URL) is simply a new target with nothing acknowledged.
* ``acked`` — what a target acknowledged (``applied``/``unchanged``/``have``),
  per session. It is a hint, never the truth: every push still plans with the
  server (principle 1). It lets a no-op plan stay small, and tells which
  sessions to delete when their file disappears.
* ``pushes`` — the summary of recent pushes, for ``av-client status``.

Rows are written only after the server answered, each answer in one
transaction, so Ctrl-C or kill at any point leaves the state consistent and the
next push (which plans again) finishes the job.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from client.file_health import REPAIR_KINDS, FileHealth

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path      TEXT PRIMARY KEY,
    source    TEXT NOT NULL,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    inode     INTEGER NOT NULL,
    deps      TEXT NOT NULL,   -- JSON [[path, size, mtime_ns, inode], …] also read by the parse
    parse_key TEXT NOT NULL,   -- redaction rule set: a change invalidates the entry
    sessions  TEXT NOT NULL,   -- JSON [SessionSummary, …]
    problems  INTEGER NOT NULL DEFAULT 0,
    parsed_at TEXT NOT NULL,
    health    TEXT NOT NULL DEFAULT '{}'  -- JSON FileHealth: skipped lines, repairs, what was reported
);
CREATE TABLE IF NOT EXISTS targets (
    id          INTEGER PRIMARY KEY,
    endpoint    TEXT NOT NULL,
    database_id TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    UNIQUE (endpoint, database_id)
);
CREATE TABLE IF NOT EXISTS acked (
    target_id     INTEGER NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    session_id    TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    message_count INTEGER NOT NULL,
    agent         TEXT NOT NULL DEFAULT '',
    project       TEXT NOT NULL DEFAULT '',
    file          TEXT,           -- the discovered file: its disappearance means "gone"
    acked_at      TEXT NOT NULL,
    gone_reported INTEGER NOT NULL DEFAULT 0,  -- the server was told the file is gone
    PRIMARY KEY (target_id, session_id)
);
CREATE TABLE IF NOT EXISTS pushes (
    id          INTEGER PRIMARY KEY,
    endpoint    TEXT NOT NULL,
    database_id TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    exit_code   INTEGER NOT NULL,
    summary     TEXT NOT NULL
);
"""
# Upgrades of a state written by an older av-client, by the version they lead to.
UPGRADES = {
    2: (
        "ALTER TABLE files ADD COLUMN health TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE acked ADD COLUMN gone_reported INTEGER NOT NULL DEFAULT 0",
    ),
}
KEEP_PUSHES = 50


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SessionSummary:
    """What the parse cache keeps of one session: enough to plan without reading the file."""

    session_id: str
    agent: str
    project: str
    fingerprint: str
    message_count: int
    checkpoints: list[list[Any]]
    file: str | None = None  # the discovered file it was parsed from (not the agent's source_path)
    content_key: str | None = None  # hash of the parsed session before redaction (client.scan.content_key)

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "agent": self.agent,
            "project": self.project,
            "fingerprint": self.fingerprint,
            "message_count": self.message_count,
            "checkpoints": self.checkpoints,
            "file": self.file,
            "content_key": self.content_key,
        }


@dataclass(frozen=True)
class FileStat:
    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileStat | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return cls(st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass
class CachedFile:
    stat: FileStat
    deps: list[list[Any]]
    parse_key: str
    sessions: list[SessionSummary]
    health: FileHealth = field(default_factory=FileHealth)


@dataclass
class FileRecord:
    """One parsed file, as the parse cache keeps it."""

    path: str
    source: str
    stat: FileStat
    deps: list[list[Any]]
    parse_key: str
    sessions: list[SessionSummary]
    health: FileHealth


@dataclass
class Acked:
    fingerprint: str
    message_count: int
    agent: str
    project: str
    file: str | None
    gone_reported: bool = False  # its file disappeared, and the server was told (history kept)


def _private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class StateError(Exception):
    """The state file could not be used (a full disk, a read-only or damaged file); the message
    names the file and what to do. No state is lost: every write is one SQLite transaction."""


def state_error(path: Path, exc: BaseException) -> StateError:
    full = getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or (
        isinstance(exc, OSError) and exc.errno == errno.ENOSPC
    )
    if full:
        return StateError(
            f"the disk holding {path.parent} is full, so av-client could not save its state ({path.name}). "
            "Nothing was lost and the state is intact (the unsaved step is redone): free some space and "
            "run the command again"
        )
    return StateError(
        f"cannot use the state file {path}: {exc}. Check the disk and the file's permissions; "
        "the file is only a cache, so moving it away costs one full re-read, never data"
    )


class State:
    """The SQLite state file; one connection per process, short transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._open(path)
        except (sqlite3.Error, OSError) as exc:
            raise state_error(path, exc) from exc

    def _open(self, path: Path) -> None:
        _private_file(path)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 30000")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA synchronous = NORMAL")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{path} was written by a newer av-client (schema {version}); upgrade av-client"
            )
        if version < SCHEMA_VERSION:
            self._create_or_upgrade()

    def _create_or_upgrade(self) -> None:
        # One writer at a time, and the version read again inside: two first runs racing here
        # (a push and a watch) create or upgrade once.
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in SCHEMA.split(";"):  # (so SCHEMA's comments hold no ';')
                    if statement.strip():
                        db.execute(statement)
            else:
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in UPGRADES.get(target, ()):
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write. A database error (SQLITE_FULL …) becomes a StateError naming the file."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # SQLite rolls back by itself after SQLITE_FULL or an I/O error; ROLLBACK only what is open.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise state_error(self.path, exc) from exc

    # -- parse cache -------------------------------------------------------------------------

    def cached_files(self) -> dict[str, CachedFile]:
        out = {}
        for path, size, mtime, inode, deps, key, sessions, health in self._db.execute(
            "SELECT path, size, mtime_ns, inode, deps, parse_key, sessions, health FROM files"
        ):
            out[path] = CachedFile(
                FileStat(size, mtime, inode),
                orjson.loads(deps),
                key,
                [SessionSummary(**s) for s in orjson.loads(sessions)],
                FileHealth.from_json(orjson.loads(health)),
            )
        return out

    def save_files(self, records: Iterable[FileRecord]) -> None:
        rows = [
            (
                r.path,
                r.source,
                r.stat.size,
                r.stat.mtime_ns,
                r.stat.inode,
                orjson.dumps(r.deps).decode(),
                r.parse_key,
                orjson.dumps([s.to_json() for s in r.sessions]).decode(),
                len(r.health.problems),
                now_iso(),
                orjson.dumps(r.health.to_json()).decode(),
            )
            for r in records
        ]
        if not rows:
            return
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO files (path, source, size, mtime_ns, inode, deps, parse_key, "
                "sessions, problems, parsed_at, health) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def save_health(self, health: Iterable[tuple[str, FileHealth]]) -> None:
        """Record what was reported of cached files (their parse is unchanged)."""
        rows = [(orjson.dumps(h.to_json()).decode(), path) for path, h in health]
        if rows:
            with self.transaction() as db:
                db.executemany("UPDATE files SET health = ? WHERE path = ?", rows)

    def health_totals(self) -> dict[str, int]:
        """Skipped lines and repaired characters of every known file as last parsed (for ``status``)."""
        totals = {"files_with_skipped_lines": 0, "skipped_lines": 0, "files_repaired": 0}
        totals.update({f"repaired_{kind}": 0 for kind in REPAIR_KINDS})
        for (raw,) in self._db.execute("SELECT health FROM files"):
            health = FileHealth.from_json(orjson.loads(raw))
            if health.problems:
                totals["files_with_skipped_lines"] += 1
                totals["skipped_lines"] += len(health.problems)
            if health.repairs:
                totals["files_repaired"] += 1
            for kind, n in health.repairs.items():
                totals[f"repaired_{kind}"] = totals.get(f"repaired_{kind}", 0) + n
        return totals

    def forget_files(self, paths: Iterable[str]) -> None:
        paths = list(paths)
        if paths:
            with self.transaction() as db:
                db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    # -- targets and acknowledgements --------------------------------------------------------

    def last_database_id(self, endpoint: str) -> str | None:
        row = self._db.execute(
            "SELECT database_id FROM targets WHERE endpoint = ? ORDER BY last_seen DESC, id DESC LIMIT 1",
            (endpoint,),
        ).fetchone()
        return row[0] if row else None

    def find_target(self, endpoint: str, database_id: str) -> int | None:
        row = self._db.execute(
            "SELECT id FROM targets WHERE endpoint = ? AND database_id = ?", (endpoint, database_id)
        ).fetchone()
        return int(row[0]) if row else None

    def target(self, endpoint: str, database_id: str) -> int:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO targets (endpoint, database_id, first_seen, last_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (endpoint, database_id) DO UPDATE SET last_seen = excluded.last_seen",
                (endpoint, database_id, now_iso(), now_iso()),
            )
            return int(
                db.execute(
                    "SELECT id FROM targets WHERE endpoint = ? AND database_id = ?", (endpoint, database_id)
                ).fetchone()[0]
            )

    def acked(self, target_id: int) -> dict[str, Acked]:
        return {
            sid: Acked(fp, n, agent, project, src, bool(gone))
            for sid, fp, n, agent, project, src, gone in self._db.execute(
                "SELECT session_id, fingerprint, message_count, agent, project, file, gone_reported "
                "FROM acked WHERE target_id = ?",
                (target_id,),
            )
        }

    def acknowledge(self, target_id: int, summaries: Iterable[SessionSummary]) -> None:
        rows = [
            (target_id, s.session_id, s.fingerprint, s.message_count, s.agent, s.project, s.file, now_iso())
            for s in summaries
        ]
        if rows:
            with self.transaction() as db:  # a session acknowledged again is back: not gone
                db.executemany(
                    "INSERT OR REPLACE INTO acked (target_id, session_id, fingerprint, message_count, "
                    "agent, project, file, acked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )

    def gone_reported(self, target_id: int, session_ids: Iterable[str]) -> None:
        rows = [(target_id, sid) for sid in session_ids]
        if rows:
            with self.transaction() as db:
                db.executemany(
                    "UPDATE acked SET gone_reported = 1 WHERE target_id = ? AND session_id = ?", rows
                )

    def unacknowledge(self, target_id: int, session_ids: Iterable[str]) -> None:
        rows = [(target_id, sid) for sid in session_ids]
        if rows:
            with self.transaction() as db:
                db.executemany("DELETE FROM acked WHERE target_id = ? AND session_id = ?", rows)

    # -- push history ------------------------------------------------------------------------

    def record_push(
        self,
        *,
        endpoint: str,
        database_id: str | None,
        started_at: str,
        exit_code: int,
        summary: dict[str, Any],
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO pushes (endpoint, database_id, started_at, finished_at, exit_code, summary) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (endpoint, database_id, started_at, now_iso(), exit_code, orjson.dumps(summary).decode()),
            )
            db.execute("DELETE FROM pushes WHERE id <= (SELECT max(id) FROM pushes) - ?", (KEEP_PUSHES,))

    def last_push(self, endpoint: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT database_id, started_at, finished_at, exit_code, summary FROM pushes "
            "WHERE endpoint = ? ORDER BY id DESC LIMIT 1",
            (endpoint,),
        ).fetchone()
        if not row:
            return None
        return {
            "database_id": row[0],
            "started_at": row[1],
            "finished_at": row[2],
            "exit_code": row[3],
            "summary": orjson.loads(row[4]),
        }


def state_path() -> Path:
    from client.config import user_dir

    return user_dir() / "state.db"


def open_state(path: Path | None = None) -> State:
    return State(path or state_path())
