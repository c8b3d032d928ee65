"""A shared SQLite store through the real push: one changed session sends only that session."""

from __future__ import annotations

from pathlib import Path

import pytest

from client import scan
from tests.client import opencode_db as oc
from tests.client.push_helpers import push_now


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> oc.OpenCodeDb:
    root = tmp_path / "opencode"
    monkeypatch.setenv("OPENCODE_DIR", str(root))
    db = oc.OpenCodeDb(root / "opencode.db")
    for sid in ("ses_a", "ses_b"):
        db.session(sid)
        for i in range(3):
            db.message(sid, "user", oc.text(f"{sid} question {i}"))
            db.message(sid, "assistant", oc.text(f"{sid} answer {i}"), tokens={"input": 10, "output": 2})
    yield db
    db.close()


def test_one_changed_session_in_a_shared_database_sends_only_it(
    ingest, store: oc.OpenCodeDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = push_now()
    assert (first.applied, first.failed, first.messages_sent) == (2, [], 12)
    db_file = store.path.stat()
    # The agent appends to one session; with WAL the commit lands in opencode.db-wal only.
    store.message("ses_a", "user", oc.text("one more"))
    assert store.path.stat().st_mtime_ns == db_file.st_mtime_ns
    sealed: list[str] = []
    real = scan.session_to_wire
    monkeypatch.setattr(scan, "session_to_wire", lambda s, r=None: sealed.append(s.session_id) or real(s, r))
    second = push_now()
    assert sealed == [
        "opencode:ses_a"
    ]  # the unchanged session keeps its summary: not redacted or sealed again
    assert (second.applied, second.have, second.messages_sent, second.files_parsed) == (1, 1, 1, 1)
    third = push_now()
    assert (third.applied, third.messages_sent, third.files_parsed) == (0, 0, 0)  # nothing changed: not read
