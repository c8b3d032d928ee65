"""Aider reader against ../shared/corpus/aider (format truth).

Runs and messages read from each history file: one session per run that has a
message; ``####`` lines (user), ``>`` lines (Aider's output; applied edits and
created files are tool calls), other lines (the reply), consecutive lines of a
kind being one message.
"""

from __future__ import annotations

import pytest

from client.sources.aider import SOURCE, _messages, run_id
from tests.conformance.corpus import CORPUS, corpus_marks, well_formed

ROOT = CORPUS / "aider"
pytestmark = corpus_marks("aider")
H = ".aider.chat.history.md"
# repository -> [(messages, user) per run with messages]
EXPECTED = {
    "append-runs": [(2, 1), (2, 1), (2, 1)],
    "edge-crlf-line-endings": [(2, 1)],
    "edge-garbage-header-timestamp-still-indexed": [(2, 1)],
    "edge-header-only-run-no-body": [],
    "edge-only-preamble-no-header": [],
    "equal-headers": [(2, 1), (2, 1)],
    "split-runs": [(2, 1), (1, 1)],  # the header-only run in between has no session
    "trailing-space-header": [(2, 1), (2, 1)],
}


@pytest.fixture(scope="module")
def parsed():
    return {p.parent.name: SOURCE.parse(p) for p in SOURCE.discover(ROOT)}


def test_every_repository(parsed):
    assert sorted(parsed) == sorted(EXPECTED)


@pytest.mark.parametrize("repo", sorted(EXPECTED))
def test_runs(parsed, repo):
    sessions, problems = parsed[repo]
    assert problems == []
    assert [(len(s.messages), sum(m.role == "user" for m in s.messages)) for s in sessions] == EXPECTED[repo]
    for s in sessions:
        well_formed(s)
        assert s.cwd == str(ROOT / repo) and s.project == repo


def test_ids_follow_agentsview(parsed):
    path = ROOT / "equal-headers" / H
    a, b = parsed["equal-headers"][0]
    assert (a.session_id, b.session_id) == (
        f"aider:{run_id(path, '2026-06-09 14:01:00', 0)}",
        f"aider:{run_id(path, '2026-06-09 14:01:00', 1)}",
    )
    garbage = parsed["edge-garbage-header-timestamp-still-indexed"][0][0]
    assert garbage.started_at is None  # an unreadable time still starts a run
    assert parsed["edge-crlf-line-endings"][0][0].messages[0].content == "crlf prompt"


def test_edits_are_tool_calls():
    body = (ROOT / "fragments" / "run-body-tool-and-edits.md").read_text().split("\n")
    msgs = [m for m in _messages(body, None) if m]
    assert [m.role for m in msgs] == ["user", "assistant", "assistant"]
    tools = msgs[2]
    assert [(c.tool_name, c.input_json) for c in tools.tool_calls] == [
        ("edit", '{"path":"src/a.py"}'),
        ("edit", '{"path":"src/a.py"}'),
        ("write", '{"path":"src/b.py"}'),
    ]
    assert "Did not apply edit to src/c.py (--dry-run)" in tools.content
