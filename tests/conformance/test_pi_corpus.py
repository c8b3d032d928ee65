"""Pi and OpenClaw readers against ../shared/corpus/pi and /openclaw (format truth).

Counts read from each file: user and assistant ``message`` entries with content
(an image counts as ``[image]``), ``compaction`` summaries and results whose call
is not in the file as system messages, ``toolCall``/``tool_use`` blocks and the
``toolResult`` entries answering them, thinking blocks, and assistant ``usage``.
"""

from __future__ import annotations

import pytest

from client.sources.openclaw import SOURCE as OPENCLAW
from client.sources.pi import SOURCE as PI
from tests.conformance.corpus import CORPUS, Counts, corpus_marks, summary, well_formed

pytestmark = corpus_marks("pi") + corpus_marks("openclaw")[1:]
C = Counts
PI_EXPECTED = {
    "cache-write-session": C("pi:cache-write-session", 1, 0, 0, 0, 0, 10, 3, 4, 2),
    "intent-sess": C("pi:intent-sess", 1, 0, 1, 0, 0),
    "mc-sess": C("pi:mc-sess", 2, 1, 0, 0, 0, 10, 5),
    "named-sess": C("pi:named-sess", 1, 1, 0, 0, 0),
    "nu-sess": C("pi:nu-sess", 1, 0, 0, 0, 0),
    "order-sess": C("pi:order-sess", 1, 0, 1, 0, 1),
    "renamed-sess": C("pi:renamed-sess", 1, 1, 0, 0, 0),
    "sess-1": C("pi:sess-1", 3, 2, 0, 0, 0),
    "session-123": C("pi:session-123", 2, 1, 0, 0, 0, 10, 5),
    "str-sess-assistant": C("pi:str-sess", 1, 0, 0, 0, 0),
    "str-sess-toolresult": C("pi:str-sess", 1, 0, 0, 0, 0),
    "tree-sess": C("pi:tree-sess", 6, 2, 0, 0, 0),
    "uu-sess-1": C("pi:uu-sess", 1, 0, 0, 0, 0),
    "uu-sess-2": C("pi:uu-sess", 1, 0, 0, 0, 0),
    "v1-lineage": C("pi:v1-lineage", 2, 1, 0, 0, 0),
    "v1-session": C("pi:v1-session", 1, 1, 0, 0, 0),
    "ws-leading": C("pi:ws-sess", 1, 1, 0, 0, 0),
    "zu-sess": C("pi:zu-sess", 1, 0, 0, 0, 0),
}
CLAW_EXPECTED = {
    "alpha/sessions/same-id.jsonl": C("openclaw:alpha:same-id", 1, 1, 0, 0, 0),
    "beta/sessions/same-id.jsonl": C("openclaw:beta:same-id", 1, 1, 0, 0, 0),
    "main/sessions/abc-123.jsonl": C("openclaw:main:abc-123", 2, 1, 0, 0, 0),
    "main/sessions/compact.jsonl": C("openclaw:main:compact", 3, 1, 0, 0, 0),
    "main/sessions/nousage.jsonl": C("openclaw:main:nousage", 2, 1, 0, 0, 0),
    "main/sessions/orphan-tr.jsonl": C("openclaw:main:orphan-tr", 3, 1, 1, 0, 0),
    "main/sessions/partial.jsonl": C("openclaw:main:partial", 2, 1, 0, 0, 0, 0, 17),
    "main/sessions/think-123.jsonl": C("openclaw:main:think-123", 2, 1, 0, 0, 1),
    "main/sessions/tool-123.jsonl": C("openclaw:main:tool-123", 3, 1, 1, 1, 0),
    "main/sessions/usage-1.jsonl": C("openclaw:main:usage-1", 2, 1, 0, 0, 0, 3, 91, 0, 9612),
    "main/sessions/usage-2.jsonl": C("openclaw:main:usage-2", 2, 1, 0, 0, 0, 42, 17),
}


@pytest.fixture(scope="module")
def pi():
    root = CORPUS / "pi" / "sessions"
    return {p.stem: PI.parse(p) for p in PI.discover(root)}


@pytest.fixture(scope="module")
def claw():
    root = CORPUS / "openclaw" / "agents"
    return {str(p.relative_to(root)): OPENCLAW.parse(p) for p in OPENCLAW.discover(root)}


def test_pi_files(pi):
    assert sorted(pi) == sorted([*PI_EXPECTED, "not-pi"])
    assert [p.reason for p in pi["not-pi"][1]] == ["not a session file (no session header first)"]


@pytest.mark.parametrize("name", sorted(PI_EXPECTED))
def test_pi_counts(pi, name):
    (s,), problems = pi[name]
    assert problems == []
    well_formed(s)
    assert summary(s) == PI_EXPECTED[name]


def test_pi_details(pi):
    tree = pi["tree-sess"][0][0]
    assert [m.role for m in tree.messages] == ["user", "system", "user", "assistant", "system", "assistant"]
    assert tree.messages[1].content == "# compacted" and tree.display_name == "Checkpoint"
    assert pi["renamed-sess"][0][0].display_name == "Final name"
    order = pi["order-sess"][0][0].messages[0]
    assert order.content == "[Thinking]\nstep one\n[/Thinking]\nfirst text\n[Bash]\n$ ls\nsecond text"
    assert pi["mc-sess"][0][0].messages[1].model == "gpt-5.4"  # from model_change
    assert pi["uu-sess-2"][0][0].messages[0].usage is None  # no known counter: unknown
    assert pi["zu-sess"][0][0].messages[0].usage is not None  # zeros are known zeros


def test_openclaw_files_and_archives(claw):
    assert sorted(claw) == sorted([*CLAW_EXPECTED, "main/sessions/empty.jsonl"])
    archive = CORPUS / "openclaw" / "archive-naming" / "agents"
    names = [p.name for p in OPENCLAW.discover(archive)]
    assert names == [
        "abc.jsonl",
        "xyz.jsonl.deleted.2026-03-01T00-00-00.000Z",
    ]  # live file, else newest archive


@pytest.mark.parametrize("name", sorted(CLAW_EXPECTED))
def test_openclaw_counts(claw, name):
    (s,), problems = claw[name]
    assert problems == []
    well_formed(s)
    assert summary(s) == CLAW_EXPECTED[name]
