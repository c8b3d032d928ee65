"""Gemini parser against the real chat files in ../shared/corpus/gemini (format truth).

Expected numbers were established independently of the parser, with ``jq``
over each file: ``[.messages[]|select(.type=="user")]|length`` (and
``"gemini"``), ``[.messages[]|.toolCalls[]?]|length``, tool results
(``.result[]?.functionResponse.response.output``), ``thoughts``, and token sums
``(.tokens.input - .tokens.cached)``, ``.tokens.cached``,
``(.tokens.output + .tokens.thoughts)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from client.sources.gemini import discover_gemini_files, parse_gemini_file

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "gemini"
CHATS = CORPUS / "tmp" / "fixtureshash" / "chats"

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not CHATS.is_dir(), reason=f"real corpus not present at {CORPUS}"),
]

# file -> (session id, messages, user, tool calls, results, thinking messages, input, cache_read, output)
EXPECTED = {
    "session-standard_session.json": ("gemini:sess-uuid-1", 4, 2, 0, 0, 0, 3350, 150, 650),
    "session-thinking_only.json": ("gemini:sess-uuid-thinking", 2, 1, 0, 0, 1, 0, 0, 0),
    "session-tool_calls.json": ("gemini:sess-uuid-2", 2, 1, 1, 0, 1, 0, 0, 0),
    "session-tool_calls_with_results.json": ("gemini:sess-uuid-tool-results", 2, 1, 2, 2, 1, 0, 0, 0),
}


@pytest.fixture(scope="module")
def parsed():
    return {p: parse_gemini_file(p) for p in discover_gemini_files(CORPUS)}


def test_discovers_every_file(parsed):
    assert sorted(parsed) == sorted(CHATS.glob("*.json"))
    assert all(problems == [] for _, problems in parsed.values())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_and_tokens(parsed, name):
    (s,), _ = parsed[CHATS / name]
    msgs = s.messages
    usage = [m.usage for m in msgs if m.usage]
    got = (
        s.session_id,
        len(msgs),
        sum(m.role == "user" for m in msgs),
        sum(len(m.tool_calls) for m in msgs),
        sum(c.result_content is not None for m in msgs for c in m.tool_calls),
        sum(m.has_thinking for m in msgs),
        sum(u.input_tokens for u in usage),
        sum(u.cache_read_tokens for u in usage),
        sum(u.output_tokens for u in usage),
    )
    assert got == EXPECTED[name]
    assert s.agent == "gemini" and s.project == "fixtureshash"


def test_notice_only_session_yields_nothing(parsed):
    assert parsed[CHATS / "session-system_messages.json"] == ([], [])


def test_results_paired_by_id(parsed):
    (s,), _ = parsed[CHATS / "session-tool_calls_with_results.json"]
    raw = json.loads((CHATS / "session-tool_calls_with_results.json").read_text())
    want = {
        tc["id"]: tc["result"][0]["functionResponse"]["response"]["output"]
        for m in raw["messages"]
        for tc in m.get("toolCalls", [])
    }
    got = {c.tool_use_id: c.result_content for m in s.messages for c in m.tool_calls}
    assert got == want
    assert s.messages[1].content.endswith("[Read: .planning/ONE-PAGER.md]\n[Bash]\n$ ls -la")


def test_model_and_bounds(parsed):
    for sessions, _ in parsed.values():
        for s in sessions:
            assert [m.ordinal for m in s.messages] == list(range(len(s.messages)))
            assert s.started_at <= s.ended_at
            for m in s.messages:
                if m.role == "assistant" and m.has_thinking:
                    assert m.model == "gemini-2.5-pro"
