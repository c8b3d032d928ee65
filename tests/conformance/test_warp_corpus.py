"""Warp reader against ../shared/corpus/warp: ``build.sql`` built into ``warp.sqlite``.

conv-001: two exchanges with query text (a third is a follow-up turn with no
input), tool counts 3+2+1+1 in conversation_data; conv-empty has no exchange and
conv-notext only a follow-up: neither is a session.
"""

from __future__ import annotations

import shutil

from client.sources.warp import SOURCE
from tests.conformance.corpus import CORPUS, Counts, build_databases, corpus_marks, summary, well_formed

pytestmark = corpus_marks("warp")


def test_the_sample_database(tmp_path):
    shutil.copytree(CORPUS / "warp", tmp_path / "warp")
    build_databases(tmp_path / "warp")
    (path,) = SOURCE.discover(tmp_path / "warp")
    (s,), problems = SOURCE.parse(path)
    assert problems == []
    well_formed(s)
    assert summary(s) == Counts("warp:conv-001", 3, 2, 7, 0, 0)
    assert [m.content for m in s.messages[:2]] == [
        "Fix the JSON parsing bug in parser.go",
        "Now add a test for that fix",
    ]
    assert (s.cwd, s.project, s.started_at, s.ended_at) == (
        "/Users/alice/code/myproject",
        "myproject",
        "2026-04-07T09:50:00.000Z",
        "2026-04-07T09:51:00.000Z",
    )
    tools = s.messages[2]
    assert [c.category for c in tools.tool_calls].count("bash") == 3 and tools.model == "auto-genius"
    assert "Claude Opus 4 100,000" in tools.content and tools.usage is None
