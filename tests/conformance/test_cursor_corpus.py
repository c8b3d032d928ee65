"""Cursor reader against ../shared/corpus/cursor (agentsview's samples, format truth).

Counts read from the files: JSONL lines with role user/assistant and content
(others skipped), tool_use blocks, thinking blocks. The ``fragments/`` are
assistant blocks of the plain-text format, fed to its block reader.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from client.sources.cursor import SOURCE, _assistant_block
from tests.conformance.corpus import CORPUS, Counts, corpus_marks, summary, well_formed

ROOT = CORPUS / "cursor" / "projects"
WS = ROOT / "Users-fiona-Documents-demo" / "agent-transcripts"
pytestmark = corpus_marks("cursor")

C = Counts
EXPECTED = {
    "flat.jsonl": C("cursor:flat", 2, 1, 0, 0, 0),
    "nested/nested.jsonl": C("cursor:nested", 2, 1, 0, 0, 0),
    "table-assistant-with-cursor-applypatch.jsonl": C(
        "cursor:table-assistant-with-cursor-applypatch", 2, 1, 1, 0, 0
    ),
    "table-assistant-with-thinking.jsonl": C("cursor:table-assistant-with-thinking", 2, 1, 0, 0, 1),
    "table-assistant-with-tool-use.jsonl": C("cursor:table-assistant-with-tool-use", 2, 1, 1, 0, 0),
    "table-content-array-with-text-blocks.jsonl": C(
        "cursor:table-content-array-with-text-blocks", 2, 1, 0, 0, 0
    ),
    "table-simple-exchange.jsonl": C("cursor:table-simple-exchange", 2, 1, 0, 0, 0),
    "table-skip-message-with-no-content.jsonl": C("cursor:table-skip-message-with-no-content", 1, 1, 0, 0, 0),
    "table-skip-unknown-role.jsonl": C("cursor:table-skip-unknown-role", 1, 1, 0, 0, 0),
    "table-user-with-user-query-tags.jsonl": C("cursor:table-user-with-user-query-tags", 2, 1, 0, 0, 0),
}
# fragment -> (tool calls, results, thinking, content)
FRAGMENTS = {
    "assistant-block-applypatch-raw.txt": (1, 0, False, "[Tool: ApplyPatch]"),
    "assistant-block-only-markers-no-prose.txt": (1, 0, True, None),
    "assistant-block-plain-text.txt": (0, 0, False, "Hello, how can I help?"),
    "assistant-block-prose-between-markers.txt": (2, 1, False, None),
    "assistant-block-thinking-then-text.txt": (0, 0, True, None),
    "assistant-block-thinking-tool-prose-sequence.txt": (1, 1, True, None),
    "assistant-block-tool-call-then-prose.txt": (
        1,
        0,
        False,
        "[Edit: /tmp/foo.go]\nI edited the file for you.",
    ),
    "assistant-block-tool-result-then-prose.txt": (0, 0, False, "The operation completed."),
}


@pytest.fixture(scope="module")
def parsed():
    return {str(p.relative_to(WS)): SOURCE.parse(p) for p in SOURCE.discover(ROOT)}


def test_discovery_precedence(parsed):
    # .jsonl over .txt for one id; subagents/ and a nested file not named after its folder are ignored.
    assert sorted(parsed) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts(parsed, name):
    (s,), problems = parsed[name]
    assert problems == []
    well_formed(s)
    assert summary(s) == EXPECTED[name]
    assert s.project == "demo" and s.started_at == s.ended_at


def test_content(parsed):
    (q,), _ = parsed["table-user-with-user-query-tags.jsonl"]
    assert q.messages[0].content == "What is Go?"
    (patch,), _ = parsed["table-assistant-with-cursor-applypatch.jsonl"]
    call = patch.messages[1].tool_calls[0]
    assert (call.tool_name, call.category) == ("ApplyPatch", "edit")
    assert '"path":"src/app.ts"' in call.input_json


def test_a_text_transcript_alone_is_read(tmp_path: Path):
    ws = tmp_path / "Users-fiona-Documents-demo" / "agent-transcripts"
    ws.mkdir(parents=True)
    shutil.copy(WS / "flat.txt", ws / "flat.txt")
    (s,), problems = SOURCE.parse(SOURCE.discover(tmp_path)[0])
    assert problems == [] and [(m.role, m.content) for m in s.messages] == [
        ("user", "old"),
        ("assistant", "Done."),
    ]


@pytest.mark.parametrize("name", sorted(FRAGMENTS))
def test_text_assistant_blocks(name):
    m = _assistant_block((CORPUS / "cursor" / "fragments" / name).read_text().split("\n"))
    calls, results, thinking, content = FRAGMENTS[name]
    assert m is not None
    assert (len(m.tool_calls), sum(c.result_content is not None for c in m.tool_calls), m.has_thinking) == (
        calls,
        results,
        thinking,
    )
    if content is not None:
        assert m.content == content
