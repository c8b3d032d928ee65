"""av-client never shows a traceback: unreadable paths are skipped and reported, a full disk is named.

An unreadable directory is made with ``chmod 000`` when the tests run as a normal user. Root
reads through any mode, so as root the same refusal is injected where the kernel would give
it: ``os.stat``, ``os.scandir`` and ``open`` of anything inside the directory raise EACCES,
while the directory itself can still be stat-ed (exactly what ``chmod 000`` does to others).

A full disk is a real tiny filesystem: a 256 KB tmpfs mounted over the user directory (root
can mount); elsewhere SQLite's ``max_page_count`` gives the same SQLITE_FULL from the state
database, the only file a push writes.
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from client.cli import main
from client.state import open_state
from tests.client.push_helpers import push_now, write_session

SID_A = "aaaaaaaa-0000-4000-8000-00000000000a"
SID_B = "bbbbbbbb-0000-4000-8000-00000000000b"


@contextmanager
def unreadable(directory: Path) -> Iterator[None]:
    if os.geteuid() != 0:
        directory.chmod(0)
        try:
            yield
        finally:
            directory.chmod(0o755)
        return
    inside = str(directory) + os.sep

    def refuse(path: object) -> None:
        p = os.fspath(path) if isinstance(path, str | bytes | os.PathLike) else ""
        p = p.decode() if isinstance(p, bytes) else p
        if isinstance(p, str) and (
            p.startswith(inside) or p.rstrip(os.sep) == str(directory) and refuse.listing
        ):
            raise PermissionError(errno.EACCES, "Permission denied", p)

    refuse.listing = False
    real_stat, real_scandir, real_open, real_os_open = os.stat, os.scandir, builtins.open, os.open

    def stat(path, *args, **kwargs):
        refuse(path)
        return real_stat(path, *args, **kwargs)

    def scandir(path=".", *args, **kwargs):
        refuse.listing = True
        try:
            refuse(path)
        finally:
            refuse.listing = False
        return real_scandir(path, *args, **kwargs)

    def open_(file, *args, **kwargs):
        refuse(file)
        return real_open(file, *args, **kwargs)

    def os_open(path, *args, **kwargs):
        refuse(path)
        return real_os_open(path, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:  # undone on leaving, unlike the test's own monkeypatch
        patch.setattr(os, "stat", stat)
        patch.setattr(os, "scandir", scandir)
        patch.setattr(builtins, "open", open_)
        patch.setattr(os, "open", os_open)
        yield


def test_an_unreadable_directory_of_pushed_sessions_is_skipped_and_reported(ingest, sources_root) -> None:
    write_session(sources_root, SID_A, 4, project="-home-demo-projects-locked")
    write_session(sources_root, SID_B, 4, project="-home-demo-projects-open")
    assert push_now().applied == 2
    locked = sources_root / "-home-demo-projects-locked"
    write_session(sources_root, SID_B, 6, project="-home-demo-projects-open")  # the other one changes
    with unreadable(locked):
        for _ in range(2):  # every run after, not just the first
            result = CliRunner().invoke(main, ["push", "--json"], catch_exceptions=False)
            assert result.exit_code == 1, result.output
            summary = json.loads(result.stdout)
            problems = [p for p in summary["problems"] if p["path"].startswith(str(locked))]
            assert problems and "Permission denied" in problems[0]["reason"], summary
            assert summary["deleted"] == 0  # unreadable is not gone: the server keeps the session
    rows = ingest.rows("SELECT session_id, message_count, deleted_at FROM sessions ORDER BY session_id")
    assert rows == [(SID_A, 4, None), (SID_B, 6, None)]
    assert push_now().problems == []  # readable again: nothing to report


@contextmanager
def tiny_disk(path: Path, monkeypatch: pytest.MonkeyPatch, *, size_kb: int = 256) -> Iterator[str]:
    """``path`` on a filesystem of ``size_kb``: a tmpfs when we may mount, else a capped SQLite file."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = os.geteuid() == 0 and (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs", str(path)]
        ).returncode
        == 0
    )
    if mounted:
        try:
            yield "tmpfs"
        finally:
            subprocess.run(["umount", "-l", str(path)], check=True)
        return
    real_connect = sqlite3.connect

    def capped(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.execute(f"PRAGMA max_page_count = {size_kb * 1024 // 4096}")
        return conn

    monkeypatch.setattr(sqlite3, "connect", capped)
    yield "max_page_count"


def _fill(path: Path) -> None:
    """Take every free byte of the filesystem holding ``path`` (a tmpfs), so the next write fails."""
    fd = os.open(path / "ballast", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_a_full_state_disk_is_named_exits_2_and_corrupts_nothing(
    ingest, sources_root, monkeypatch, tmp_path
) -> None:
    user = Path(os.environ["AV_USER_PATH"])
    for n in range(3):
        write_session(sources_root, f"cccccccc-0000-4000-8000-00000000000{n}", 6, project=f"-home-p{n}")
    assert push_now().applied == 3  # config and state exist; the state holds three sessions
    with open_state() as state:
        before = state._db.execute("SELECT count(*) FROM acked").fetchone()[0]
    moved = tmp_path / "user-copy"
    subprocess.run(["cp", "-a", str(user), str(moved)], check=True)

    disk = tmp_path / "small"
    with tiny_disk(disk, monkeypatch) as how:
        subprocess.run(["cp", "-a", f"{moved}/.", str(disk)], check=True)
        monkeypatch.setenv("AV_USER_PATH", str(disk))
        # Many new sessions: their parse cache and acknowledgements need more room than is left.
        for n in range(40):
            write_session(
                sources_root, f"dddddddd-0000-4000-8000-{n:012d}", 30, project=f"-home-q{n}", text="x" * 200
            )
        if how == "tmpfs":
            _fill(disk)
        result = CliRunner().invoke(main, ["push"], catch_exceptions=False)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert "full" in result.stderr and str(disk) in result.stderr, result.stderr
        if how == "tmpfs":
            (disk / "ballast").unlink()
        # Nothing corrupted: the state opens, passes SQLite's check and still holds what it held.
        with open_state() as state:
            assert state._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert state._db.execute("SELECT count(*) FROM acked").fetchone()[0] >= before
        # With room again, the next push finishes the job.
        assert CliRunner().invoke(main, ["push"], catch_exceptions=False).exit_code == 0
    assert ingest.rows("SELECT count(*) FROM sessions")[0][0] == 43


def test_a_session_id_the_server_would_refuse_is_skipped_and_the_others_pushed(
    ingest, sources_root, monkeypatch
) -> None:
    """One Gemini chat file with a NUL in its session id used to make every push exit 2, nothing pushed."""
    gemini_root = sources_root.parent / "gemini"
    chats = gemini_root / "tmp" / ("ab" * 32) / "chats"
    chats.mkdir(parents=True)
    chat = {
        "sessionId": "bad\x00id",
        "projectHash": "ab" * 32,
        "startTime": "2026-01-05T09:59:59Z",
        "lastUpdated": "2026-01-05T10:01:00Z",
        "messages": [{"id": "u1", "timestamp": "2026-01-05T10:00:00Z", "type": "user", "content": "hi"}],
    }
    (chats / "session-1.json").write_text(json.dumps(chat))
    monkeypatch.setenv("GEMINI_DIR", str(gemini_root))
    write_session(sources_root, SID_A, 4)
    for _ in range(2):
        result = CliRunner().invoke(main, ["push", "--json"], catch_exceptions=False)
        assert result.exit_code == 1, result.output
        summary = json.loads(result.stdout)
        assert [f["session_id"] for f in summary["failed"]] == ["gemini:bad\\x00id"]
        assert "U+0000" in summary["failed"][0]["reason"]
    assert ingest.rows("SELECT session_id FROM sessions") == [(SID_A,)]


def test_a_time_the_server_would_refuse_is_sent_as_none_and_the_session_pushed(ingest, sources_root) -> None:
    """A log saying year 9999 (stored as year 10000 in UTC, which broke every read of the session)
    is refused by the server; the client sends no time there instead, before sealing."""
    path = write_session(sources_root, SID_A, 4)
    lines = path.read_text().splitlines()
    first = json.loads(lines[0])
    first["timestamp"] = "9999-12-31T23:59:59-01:00"
    path.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    summary = push_now()
    assert not summary.failed and summary.applied == 1
    times = ingest.rows("SELECT ordinal, ts FROM messages ORDER BY ordinal")
    assert times[0] == (0, None) and all(t is not None for _, t in times[1:])
