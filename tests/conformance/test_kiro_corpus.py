"""Kiro reader against ../shared/corpus/kiro: ``kiro-cli/build.sql`` built into ``data.sqlite3``
plus the legacy ``sessions/cli`` JSONL files; one root holding both, as KIRO_SESSIONS_DIR may."""

from __future__ import annotations

import shutil

from client.sources.kiro import SOURCE
from tests.conformance.corpus import CORPUS, Counts, build_databases, corpus_marks, summary, well_formed

pytestmark = corpus_marks("kiro")


def test_both_stores_and_the_current_one_first(tmp_path, monkeypatch):
    shutil.copytree(CORPUS / "kiro", tmp_path / "kiro")
    build_databases(tmp_path / "kiro")
    monkeypatch.setenv("KIRO_SESSIONS_DIR", str(tmp_path / "kiro"))
    paths = list(SOURCE.files())
    assert [p.name for p in paths] == [
        "data.sqlite3",
        "legacy-only-session.jsonl",
        "legacy-session.jsonl",
        "overlap-session.jsonl",
    ]
    parsed = [SOURCE.parse(p) for p in paths]
    (current,), problems = parsed[0]
    assert [p.reason for p in problems] == ["conversation broken-session: value is not JSON"]
    assert summary(current) == Counts("kiro:overlap-session", 2, 1, 0, 0, 0)
    assert (
        current.messages[0].content == "Current store should win"
        and current.cwd == "/home/user/code/current-kiro"
    )
    legacy = [s for sessions, probs in parsed[1:] for s in sessions]
    assert [summary(s) for s in legacy] == [
        Counts("kiro:legacy-only-session", 2, 1, 0, 0, 0),
        Counts("kiro:legacy-session", 2, 1, 0, 0, 0),
        Counts("kiro:overlap-session", 2, 1, 0, 0, 0),  # shadowed: the pusher takes the database's copy
    ]
    for s in [current, *legacy]:
        well_formed(s)
    assert legacy[0].cwd == "/home/user/code/legacy-kiro"
