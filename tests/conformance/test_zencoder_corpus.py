"""Zencoder reader against ../shared/corpus/zencoder (agentsview's samples, format truth).

Counts read from each file: user records with untagged or ``user-input`` text,
assistant records with text or tool calls, ``tool-call`` blocks and the
``tool-result`` blocks answering them. Zencoder writes no token usage.
"""

from __future__ import annotations

import pytest

from client.sources.zencoder import SOURCE
from tests.conformance.corpus import CORPUS, Counts, corpus_marks, summary, well_formed

ROOT = CORPUS / "zencoder" / "sessions"
pytestmark = corpus_marks("zencoder")


def c(sid: str, msgs: int = 2, user: int = 1, calls: int = 0) -> Counts:
    return Counts(f"zencoder:{sid}", msgs, user, calls, calls, 0)


EXPECTED = {
    "abc-123": c("abc-123"),
    "bounds-123": c("bounds-123"),
    "child-123": c("child-123"),
    "child-789": c("child-789"),
    "new-123": c("new-123", 1),
    "notag-123": c("notag-123"),
    "parent-123": c("parent-123", calls=1),
    "parent-456": c("parent-456", calls=2),
    "parent-789": c("parent-789", calls=1),
    "proj-123": c("proj-123", 1),
    "skill-123": c("skill-123"),
    "skip-123": c("skip-123"),
    "stale-123": c("stale-123"),
    "tag-123": c("tag-123"),
    "test-uuid": c("test-uuid", 1),
    "tr-123": c("tr-123", calls=1),
    "trsys-123": c("trsys-123", calls=1),
    "ts-123": c("ts-123"),
    "ts-miss-123": c("ts-miss-123"),
}
NO_SESSION = ["empty-123", "sysfin-123", "sysonly-123"]


@pytest.fixture(scope="module")
def parsed():
    return {p.stem: SOURCE.parse(p) for p in SOURCE.discover(ROOT)}


def test_every_file(parsed):
    assert sorted(parsed) == sorted([*EXPECTED, *NO_SESSION])
    assert all(parsed[name] == ([], []) for name in NO_SESSION)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts(parsed, name):
    (s,), problems = parsed[name]
    assert problems == []
    well_formed(s)
    assert summary(s) == EXPECTED[name]


def one(parsed, name):
    return parsed[name][0][0]


def test_links_cwd_tags_and_bounds(parsed):
    assert (one(parsed, "child-123").parent_session_id, one(parsed, "child-123").relationship) == (
        "zencoder:parent-456",
        "continuation",
    )
    assert one(parsed, "new-123").parent_session_id is None  # newChat: the parent id is ignored
    children = [c.subagent_session_id for m in one(parsed, "parent-456").messages for c in m.tool_calls]
    assert children == ["zencoder:child-aaa", "zencoder:child-bbb"]
    assert [c.subagent_session_id for m in one(parsed, "parent-789").messages for c in m.tool_calls] == [None]
    assert (one(parsed, "abc-123").cwd, one(parsed, "abc-123").project) == (
        "/home/user/myproject",
        "myproject",
    )
    assert one(parsed, "tag-123").messages[0].content == "actual user input"
    assert one(parsed, "skill-123").messages[0].content == "Do the thing."
    result = one(parsed, "trsys-123").messages[1].tool_calls[0].result_content
    assert result == "file1.go\nfile2.go"  # tagged reminders inside a result are not output
    b = one(parsed, "bounds-123")
    assert (b.started_at, b.ended_at) == ("2024-01-01T10:00:00.000Z", "2024-01-01T10:05:01.000Z")
    assert one(parsed, "stale-123").ended_at == "2024-01-01T00:10:00.000Z"
