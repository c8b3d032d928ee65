"""Claude parser against the real logs in ../shared/corpus/claude (format truth).

Expected numbers were established independently of the parser: with a stdlib
``json`` script (distinct ``message.id`` s with content, last fragment's usage
per id, distinct tool_use ids, user text lines minus isMeta/noise) and
cross-checked with ``jq -s '[.[]|select(.type=="assistant")] |
group_by(.message.id) | map(last.message.usage.output_tokens) | add'``.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from client.sources.claude import discover_claude_files, parse_claude_file

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "claude"
PROJECTS = CORPUS / "projects"

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not PROJECTS.is_dir(), reason=f"real corpus not present at {CORPUS}"),
]

SPOTTER = "-home-marco-projects-spotter"
A0Y = "-home-marco-projects-spotter-worktrees-spotter-a0y/fa812bfe-b295-4cca-9c2f-fdf01028cb46"

# file -> (messages, user messages, tool calls, input, output, cache_creation, cache_read)
EXPECTED = {
    f"{SPOTTER}/491e126e-1e71-469c-ade2-fcc8af567c74.jsonl": (13, 1, 16, 1576, 1586, 25842, 427286),
    f"{SPOTTER}/55604662-cf2a-4331-851a-ec234028f8ca.jsonl": (2, 1, 2, 3, 13, 13835, 11515),
    f"{SPOTTER}/d6e0bada-1959-4eec-a9d2-0bfade768d8f.jsonl": (6, 2, 6, 54, 212, 17696, 88231),
    "-home-marco-projects-spotter-worktrees-spotter-4te/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl": (
        220,
        2,
        242,
        242,
        49467,
        237121,
        16553628,
    ),
    f"{A0Y}/subagents/agent-aa84377.jsonl": (10, 1, 21, 52, 17, 52562, 306055),
}


@pytest.fixture(scope="module")
def parsed():
    out = {}
    for path in discover_claude_files(PROJECTS):
        out[path] = parse_claude_file(path)  # must not raise
    return out


def _sessions(parsed):
    return [s for sessions, _ in parsed.values() for s in sessions]


def test_discovers_every_file(parsed):
    on_disk = sorted(PROJECTS.rglob("*.jsonl"))
    assert sorted(parsed) == on_disk
    assert sum(1 for p in parsed if p.parent.name == "subagents") == 11


def test_problems_only_where_the_file_is_broken(parsed):
    broken = {p.name: [(x.line, x.reason) for x in probs] for p, (_, probs) in parsed.items() if probs}
    # claude-code-log's edge cases hold three top-level non-object lines; nothing else is broken
    # (agentsview's truncated.jsonl ends in a cut-off line, which is tolerated silently).
    assert broken == {
        "edge_cases.jsonl": [
            (13, "line is not a JSON object"),
            (15, "line is not a JSON object"),
            (16, "line is not a JSON object"),
        ]
    }


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_counts_and_tokens(parsed, rel):
    sessions, problems = parsed[PROJECTS / rel]
    assert problems == []
    assert len(sessions) == 1
    msgs = sessions[0].messages
    usage = [m.usage for m in msgs if m.usage]
    got = (
        len(msgs),
        sum(m.role == "user" for m in msgs),
        sum(len(m.tool_calls) for m in msgs),
        sum(u.input_tokens for u in usage),
        sum(u.output_tokens for u in usage),
        sum(u.cache_creation_tokens for u in usage),
        sum(u.cache_read_tokens for u in usage),
    )
    assert got == EXPECTED[rel]


def test_usage_once_per_message_id(parsed):
    rel = "-home-marco-projects-spotter-worktrees-spotter-4te/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl"
    naive = 0
    for line in (PROJECTS / rel).read_bytes().splitlines():
        obj = orjson.loads(line)
        if obj.get("type") == "assistant":
            naive += obj["message"]["usage"]["cache_read_input_tokens"]
    (session,), _ = parsed[PROJECTS / rel]
    ours = sum(m.usage.cache_read_tokens for m in session.messages if m.usage)
    assert ours == 16553628 and naive > 1.8 * ours  # summing per fragment roughly doubles it
    keys = [m.message_key for m in session.messages if m.role == "assistant"]
    assert len(keys) == len(set(keys))


def test_tool_results_paired_where_present(parsed):
    for path, (sessions, _) in parsed.items():
        result_ids = set()
        for line in path.read_bytes().splitlines():
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            msg = obj.get("message") if isinstance(obj, dict) else None
            content = msg.get("content") if isinstance(msg, dict) else None
            for b in content if isinstance(content, list) else ():
                if isinstance(b, dict) and b.get("type") == "tool_result":
                    result_ids.add(b.get("tool_use_id"))
        for s in sessions:
            for m in s.messages:
                for c in m.tool_calls:
                    assert (c.result_content is not None) == (c.tool_use_id in result_ids), (
                        path,
                        c.tool_use_id,
                    )


def test_messages_well_formed(parsed):
    for s in _sessions(parsed):
        assert s.agent == "claude"
        assert [m.ordinal for m in s.messages] == list(range(len(s.messages)))
        for m in s.messages:
            assert m.content.strip() or m.tool_calls, (s.session_id, m.ordinal)
            if m.tool_calls:
                assert m.role == "assistant" and m.has_tool_use
            if m.has_thinking:
                assert "[Thinking]\n" in m.content
                assert any(b["type"] == "thinking" for b in m.blocks)
        if s.started_at and s.ended_at:
            assert s.started_at <= s.ended_at


def test_compaction_summaries_kept_as_system(parsed):
    big = [
        s
        for s in _sessions(parsed)
        if s.source_path and "worktrees" in s.source_path and s.relationship == ""
    ]
    assert len(big) == 5
    for s in big:
        system = [m for m in s.messages if m.role == "system"]
        assert len(system) == 1 and system[0].is_system
        assert system[0].content.startswith("This session is being continued")
        assert s.project == "spotter"


def test_subagents_linked_to_parent(parsed):
    sessions = {s.session_id: s for s in _sessions(parsed)}
    subs = [s for s in sessions.values() if s.relationship == "subagent"]
    assert len(subs) == 11
    linked_calls = {
        c.subagent_session_id: (s.session_id, c.tool_use_id)
        for s in sessions.values()
        for m in s.messages
        for c in m.tool_calls
        if c.subagent_session_id
    }
    for sub in subs:
        assert sub.parent_session_id in sessions
        if "acompact" in sub.session_id:
            continue  # compaction agents are not spawned by a tool call
        assert linked_calls[sub.session_id] == (sub.parent_session_id, sub.parent_tool_use_id)
    # the small spotter session with a subagent links via its progress lines too
    assert sum(1 for sid, _ in linked_calls.values() if sid == "491e126e-1e71-469c-ade2-fcc8af567c74") == 1
