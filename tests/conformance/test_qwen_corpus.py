"""Qwen Code reader against ../shared/corpus/qwen (format truth).

Counts read from each file: user prompts, one assistant message per turn (model
lines up to the next prompt), functionCall parts and the functionResponse lines
answering them, thought parts, and usageMetadata summed over the turn's model
calls (input = prompt - cached, output = candidates + thoughts).
"""

from __future__ import annotations

import pytest

from client.sources.qwen import SOURCE
from tests.conformance.corpus import CORPUS, Counts, corpus_marks, summary, well_formed

ROOT = CORPUS / "qwen" / "projects"
pytestmark = corpus_marks("qwen")
C = Counts
REAL = "adc026b4-c620-43e4-8cc4-295593889d18"
EXPECTED = {
    f"-Users-alice-code-sample-project/chats/{REAL}.jsonl": C(
        f"qwen:{REAL}", 2, 1, 0, 0, 1, 18009 - 12, 47 + 36, 12
    ),
    "-work/chats/sess-abort.jsonl": C("qwen:sess-abort", 1, 1, 0, 0, 0),
    "-work/chats/sess-coalesce.jsonl": C(
        "qwen:sess-coalesce", 2, 1, 2, 0, 1, 100 + 150 + 220, 10 + 20 + 15, 50 + 80
    ),
    "-work/chats/sess-interleaved.jsonl": C("qwen:sess-interleaved", 2, 1, 1, 1, 0, 100 + 130, 5 + 7, 20),
    "-work/chats/sess-short.jsonl": C("qwen:sess-short", 2, 1, 0, 0, 0, 10, 5),
    "-work/chats/sess-trail.jsonl": C("qwen:sess-trail", 2, 1, 2, 0, 1, 50 + 70, 5 + 7, 10),
}


@pytest.fixture(scope="module")
def parsed():
    return {str(p.relative_to(ROOT)): SOURCE.parse(p) for p in SOURCE.discover(ROOT)}


def test_every_file(parsed):
    assert sorted(parsed) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_and_tokens(parsed, name):
    (s,), problems = parsed[name]
    assert problems == []
    well_formed(s)
    assert summary(s) == EXPECTED[name]


def test_turns_and_projects(parsed):
    (s,), _ = parsed["-work/chats/sess-coalesce.jsonl"]
    reply = s.messages[1]
    assert reply.content.endswith("The bug is on line 42.") and reply.content.count("[Thinking]") == 3
    assert (s.cwd, s.project) == ("/work", "work")
    (real,), _ = parsed[f"-Users-alice-code-sample-project/chats/{REAL}.jsonl"]
    assert (real.project, real.messages[1].model) == (
        "sample-project",
        "cleanunicorn/qwen3-coder-30b-a3b-instruct",
    )
    (inter,), _ = parsed["-work/chats/sess-interleaved.jsonl"]
    assert inter.messages[1].tool_calls[0].result_content == "package main\n"
