"""Read an agent's SQLite store consistently, while the agent writes it, without ever getting in its way.

OpenCode, Kilo, Goose, Zed, Warp, Kiro and Windsurf keep every session in one
SQLite database that the running agent writes at any moment. What is safe
(measured on SQLite 3.40 and from https://www.sqlite.org/wal.html,
https://www.sqlite.org/lockingv3.html, https://www.sqlite.org/uri.html):

* **Read-only and never writing.** The live database is opened through a
  ``file:…?mode=ro`` URI (``Path.as_uri()`` escapes ``?``, ``#`` and ``%`` in
  the path) with ``PRAGMA query_only``. Such a connection never writes the
  database, never checkpoints and never deletes the ``-wal``. On a WAL
  database it may create the empty ``-wal``/``-shm`` side files a reader
  needs (as any reader does); where ``-shm`` cannot be written SQLite keeps
  its index in heap memory.
* **Every byte arrives.** A ``TEXT`` value that is not valid UTF-8 is repaired
  to U+FFFD and counted (:mod:`client.sources.decoding`) instead of failing the
  read of the whole database.
* **One snapshot.** Every query of one read runs in one read transaction
  (``BEGIN`` then a first read that takes the snapshot), so sessions,
  messages and parts come from the same committed state; a transaction
  the agent has not committed is invisible.
* **Never locking the agent out.** In WAL mode a reader blocks no writer: the
  agent commits while we read (tested). In rollback-journal mode a reader's
  SHARED lock does make a committing writer wait, so callers fetch raw rows
  inside the snapshot and decode them after it is released; the lock is held
  for the row fetch only. Our own wait is short (``BUSY_TIMEOUT_S``).
* **A private copy when the live file cannot be read.** If the database is
  busy past that wait (a writer in ``locking_mode=EXCLUSIVE``, a long write in
  rollback mode) or cannot be opened read-only (a hot journal to roll back, a
  read-only medium), the database and its ``-wal``/``-journal`` are copied into
  a private temporary folder and the copy is opened normally, so SQLite
  replays or rolls back the side file *in the copy*: committed data, never a
  torn page. The copy is trusted only if no file changed size or mtime while
  it was taken (else it is retried, then reported as transient: the next
  push reads it again). The copy is deleted when the read ends.

Everything else (not a database, no such file) is a permanent
:class:`StoreUnreadable`; ``transient`` ones are not remembered by the parse
cache, so the next push tries again.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from client.model import ParseProblem
from client.sources import decoding

BUSY_TIMEOUT_S = 1.0
COPY_ATTEMPTS = 3
SIDE_FILES = ("-wal", "-journal")
_PERMANENT = frozenset({"SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_AUTH", "SQLITE_PERM"})

T = TypeVar("T")


class StoreUnreadable(Exception):
    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


def _begin(con: sqlite3.Connection) -> sqlite3.Connection:
    # TEXT that is not UTF-8 would make sqlite3 raise for the whole query: repaired (and counted).
    con.text_factory = decoding.text
    try:
        con.execute("PRAGMA query_only = ON")
        con.execute("BEGIN")
        # The first read takes the snapshot (and meets any lock now, inside our busy wait).
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        con.close()
        raise
    return con


def _end(con: sqlite3.Connection) -> None:
    try:
        con.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # no transaction left to end
    finally:
        con.close()


def _open_live(path: Path) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    con = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    return _begin(con)


def _stats(paths: list[Path]) -> list[tuple[int, int] | None]:
    out: list[tuple[int, int] | None] = []
    for p in paths:
        try:
            st = p.stat()
            out.append((st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            out.append(None)
    return out


@contextmanager
def _private_copy(path: Path) -> Iterator[Path]:
    """A copy of the database and its side files, taken while none of them changed."""
    files = [path] + [path.with_name(path.name + suffix) for suffix in SIDE_FILES]
    with tempfile.TemporaryDirectory(prefix="av-client-store-") as tmp:  # mode 0700
        for attempt in range(COPY_ATTEMPTS):
            before = _stats(files)
            for f, st in zip(files, before, strict=True):
                target = Path(tmp) / f.name
                target.unlink(missing_ok=True)
                if st is not None:
                    shutil.copyfile(f, target)
            if _stats(files) == before:
                yield Path(tmp) / path.name
                return
            time.sleep(0.05 * (attempt + 1))
        raise StoreUnreadable(
            "the database kept changing while it was being copied; it will be read again next time",
            transient=True,
        )


def _describe(exc: sqlite3.Error) -> tuple[str, bool]:
    """(reason, worth another way or another time): a file that is no database never will be."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name in _PERMANENT or "not a database" in str(exc):
        return f"not a readable SQLite database ({exc})", False
    return f"cannot read database ({exc})", True


def _transient(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR"))


@contextmanager
def read_snapshot(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection inside one read transaction over ``path`` (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise StoreUnreadable("cannot read database: no such file", transient=False)
    try:
        con = _open_live(path)
    except sqlite3.Error as exc:
        reason, retryable = _describe(exc)
        if not retryable:
            raise StoreUnreadable(reason, transient=False) from exc
        try:
            with _private_copy(path) as copy:
                con = _begin(sqlite3.connect(copy, timeout=BUSY_TIMEOUT_S, isolation_level=None))
                try:
                    yield con
                finally:
                    _end(con)
        except OSError as copy_exc:
            raise StoreUnreadable(f"{reason}; copying it failed too: {copy_exc}", transient=True) from exc
        except sqlite3.Error as copy_exc:
            why, again = _describe(copy_exc)
            raise StoreUnreadable(why, transient=again) from exc
        return
    try:
        yield con
    finally:
        _end(con)


def read_store(path: Path, read: Callable[[sqlite3.Connection], T]) -> T | ParseProblem:
    """``read(con)`` inside one snapshot of ``path``, or the problem that stopped it.

    ``read`` should fetch rows and return them: decoding after the snapshot is
    released keeps a rollback-journal database's lock short.
    """
    spath = str(path)
    try:
        with read_snapshot(path) as con:
            return read(con)
    except StoreUnreadable as exc:
        return ParseProblem(spath, None, exc.reason, transient=exc.transient)
    except sqlite3.Error as exc:
        reason, _ = _describe(exc)
        return ParseProblem(spath, None, reason, transient=_transient(exc))


def table_columns(con: sqlite3.Connection, table: str) -> set[str]:
    """The columns ``table`` has (empty if it does not exist): schemas differ between versions."""
    return {row[1] for row in con.execute("SELECT * FROM pragma_table_info(?)", (table,))}
