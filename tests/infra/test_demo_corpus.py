"""The demo corpus parses cleanly and has the features it promises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from client.sources.claude import discover_claude_files, parse_claude_file
from infra.local.demo_corpus import main, write_demo_corpus, write_demo_corpus_with_stats


def _parse_all(root: Path):
    sessions, problems = [], []
    for path in discover_claude_files(root):
        s, p = parse_claude_file(path)
        sessions += s
        problems += p
    return {s.session_id: s for s in sessions}, problems


def test_demo_corpus_parses_with_promised_features(tmp_path):
    paths, stats = write_demo_corpus_with_stats(tmp_path, sessions=12, seed=7)
    assert sorted(paths) == discover_claude_files(tmp_path)
    sessions, problems = _parse_all(tmp_path)
    assert problems == []
    assert set(sessions) == {st.session_id for st in stats}

    for st in stats:
        s = sessions[st.session_id]
        msgs = s.messages
        usage = [m.usage for m in msgs if m.usage]
        # counts and token totals equal what the generator wrote (usage once per message.id)
        assert len(msgs) == st.messages
        assert sum(len(m.tool_calls) for m in msgs) == st.tool_calls
        assert sum(u.output_tokens for u in usage) == st.output_tokens
        assert sum(u.input_tokens for u in usage) == st.input_tokens
        assert sum(u.cache_read_tokens for u in usage) == st.cache_read_tokens
        assert sum(u.cache_creation_tokens for u in usage) == st.cache_creation_tokens
        # every tool call got its result, which came in a later line
        assert all(c.result_content for m in msgs for c in m.tool_calls)
        assert s.project and s.cwd == f"/home/demo/projects/{s.project}"

    subs = [s for s in sessions.values() if s.relationship == "subagent"]
    assert subs, "a session with a Task subagent"
    for sub in subs:
        parent = sessions[sub.parent_session_id]
        task = [c for m in parent.messages for c in m.tool_calls if c.tool_name == "Task"]
        assert [c.subagent_session_id for c in task] == [sub.session_id]
        assert sub.parent_tool_use_id == task[0].tool_use_id

    compacted = [s for s in sessions.values() if any(m.role == "system" and m.is_system for m in s.messages)]
    assert compacted and compacted[0].messages[-1].role == "assistant"
    mains = [s for s in sessions.values() if s.relationship == ""]
    assert len(mains) == 12
    assert len({s.project for s in mains}) >= 4
    assert len({m.model for s in mains for m in s.messages if m.model}) >= 3
    assert any(m.has_thinking for s in mains for m in s.messages)
    assert any(c.result_is_error for s in mains for m in s.messages for c in m.tool_calls)
    starts = sorted(s.started_at for s in mains)
    assert "2026-02-09" <= starts[0] and starts[-1] < "2026-03-02T18"  # ~3 weeks before the base date


def test_streamed_fragments_share_message_id(tmp_path):
    import orjson

    paths = write_demo_corpus(tmp_path, sessions=2)
    ids = []
    for p in paths:
        for line in p.read_bytes().splitlines():
            obj = orjson.loads(line)
            if obj["type"] == "assistant":
                ids.append(obj["message"]["id"])
    assert len(ids) > len(set(ids))  # several lines per response


def test_deterministic_and_cli(tmp_path):
    a = write_demo_corpus(tmp_path / "a", sessions=5, seed=3)
    b = write_demo_corpus(tmp_path / "b", sessions=5, seed=3)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert main([str(tmp_path / "c"), "--sessions", "3"]) == 0
    assert len([p for p in discover_claude_files(tmp_path / "c") if "subagents" not in p.parts]) == 3


def test_cli_dates_the_corpus_before_now(tmp_path):
    """`make demo` pushes what the CLI writes: it must fall in the dashboard's default range
    (the last 30 days), not in a fixed month that a new user's first look finds empty."""
    import orjson

    before = datetime.now(UTC)
    assert main([str(tmp_path / "now"), "--sessions", "4"]) == 0
    stamps = [
        datetime.fromisoformat(obj["timestamp"])
        for p in (tmp_path / "now").rglob("*.jsonl")
        for obj in map(orjson.loads, p.read_bytes().splitlines())
        if "timestamp" in obj
    ]
    assert stamps and max(stamps) <= datetime.now(UTC)
    assert min(stamps) >= before - timedelta(days=23)
    # --base pins the dates, so the bytes are reproducible.
    assert main([str(tmp_path / "x"), "--sessions", "2", "--base", "2026-03-02T18:00"]) == 0
    assert main([str(tmp_path / "y"), "--sessions", "2", "--base", "2026-03-02T18:00:00+00:00"]) == 0
    x, y = sorted((tmp_path / "x").rglob("*.jsonl")), sorted((tmp_path / "y").rglob("*.jsonl"))
    assert [p.read_bytes() for p in x] == [p.read_bytes() for p in y]
    assert x[0].read_bytes() == write_demo_corpus(tmp_path / "z", sessions=2)[0].read_bytes()
