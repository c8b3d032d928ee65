"""Codex parser against the real rollouts in ../shared/corpus/codex (format truth).

Expected numbers were established independently of the parser, with ``jq -s``
over each file: user texts (``select(.type=="response_item" and
.payload.role=="user")``), assistant items, ``function_call``/``custom_tool_call``
``call_id`` s, ``*_output`` items (none in this corpus), ``token_count``
events (none), first/last envelope timestamps and ``session_meta.originator``.
These fixtures have no tool outputs between calls, so every file's assistant
items form one model response: messages = user texts + 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from client.sources.codex import discover_codex_files, parse_codex_file

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "codex"
SESSIONS = CORPUS / "sessions"
DAY = "2026/03/01/rollout-2026-03-01T00-00-00-"

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not SESSIONS.is_dir(), reason=f"real corpus not present at {CORPUS}"),
]

# file -> (session id, messages, user messages, tool calls, output tokens, started, ended)
EXPECTED = {
    "standard_session": ("codex:abc-123", 2, 1, 0, 0, "2024-01-01T10:00:00Z", "2024-01-01T10:00:05Z"),
    "function_calls": ("codex:fc-1", 2, 1, 2, 0, "2024-01-01T10:00:00Z", "2024-01-01T10:05:00Z"),
    "fc_args_1": ("codex:fc-args-1", 2, 1, 1, 0, "2024-01-01T10:00:00Z", "2024-01-01T10:00:05Z"),
    "fc_args_2": ("codex:fc-args-2", 2, 1, 1, 0, "2024-01-01T10:00:00Z", "2024-01-01T10:00:05Z"),
    "fc_stdin": ("codex:fc-stdin", 2, 1, 1, 0, "2024-01-01T10:00:00Z", "2024-01-01T10:00:05Z"),
    "blockquotes_session": (
        "codex:quote-123",
        2,
        1,
        0,
        0,
        "2026-05-02T12:33:24.669Z",
        "2026-05-02T12:33:26.485Z",
    ),
}
EXEC_ONLY = {"blockquotes_session"}  # originator codex_exec


def _path(name: str) -> Path:
    return SESSIONS / f"{DAY}{name}.jsonl"


@pytest.fixture(scope="module")
def parsed():
    return {p: parse_codex_file(p, include_exec=True) for p in discover_codex_files(SESSIONS)}


def _raw(path: Path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def test_discovers_every_file(parsed):
    assert sorted(parsed) == sorted(SESSIONS.rglob("*.jsonl"))
    assert all(problems == [] for _, problems in parsed.values())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts(parsed, name):
    sessions, _ = parsed[_path(name)]
    (s,) = sessions
    usage = [m.usage for m in s.messages if m.usage]
    got = (
        s.session_id,
        len(s.messages),
        sum(m.role == "user" for m in s.messages),
        sum(len(m.tool_calls) for m in s.messages),
        sum(u.output_tokens for u in usage),
        s.started_at,
        s.ended_at,
    )
    assert got == EXPECTED[name]
    assert s.agent == "codex"


def test_exec_sessions_excluded_by_default():
    for name in EXPECTED:
        sessions, problems = parse_codex_file(_path(name))
        assert problems == []
        assert len(sessions) == (0 if name in EXEC_ONLY else 1), name


def test_tool_formatting_matches_agentsview(parsed):
    texts = {name: parsed[_path(name)][0][0].messages[1].content for name in EXPECTED}
    assert texts["fc_args_1"] == "[Bash]\n$ rg --files"
    assert texts["fc_args_2"] == (
        "[Edit: internal/parser/codex.go (+1 more)]\ninternal/parser/codex.go\ninternal/parser/parser_test.go"
    )
    assert texts["fc_stdin"] == "[Bash: stdin -> sess-42]\nyes\\n"
    assert texts["function_calls"] == "[Bash: Running tests]\n[Edit: Fixing typo]"
    assert texts["blockquotes_session"].startswith("blabla1\n\n> blabla2")
    # string arguments are parsed, object arguments kept: both give the same JSON input
    call = parsed[_path("fc_args_1")][0][0].messages[1].tool_calls[0]
    assert json.loads(call.input_json) == {"cmd": "rg --files", "workdir": "/tmp"}


def test_calls_paired_with_outputs_where_present(parsed):
    for path, (sessions, _) in parsed.items():
        outputs = {
            o["payload"]["call_id"]
            for o in _raw(path)
            if o.get("type") == "response_item" and str(o["payload"].get("type", "")).endswith("_output")
        }
        for s in sessions:
            for m in s.messages:
                for c in m.tool_calls:
                    assert (c.result_content is not None) == (c.tool_use_id in outputs), (path, c.tool_use_id)


def test_usage_counted_once(parsed):
    # Sum of last_token_usage over token_count events with a new total (json, not the parser).
    for path, (sessions, _) in parsed.items():
        expected, seen = 0, None
        for o in _raw(path):
            info = o.get("payload", {}).get("info") if o.get("type") == "event_msg" else None
            if o.get("payload", {}).get("type") == "token_count" and isinstance(info, dict):
                key = info.get("total_token_usage") or info.get("last_token_usage")
                if key != seen:
                    seen = key
                    expected += info["last_token_usage"].get("output_tokens", 0)
        ours = sum(m.usage.output_tokens for s in sessions for m in s.messages if m.usage)
        assert ours == expected, path


def test_messages_well_formed(parsed):
    for sessions, _ in parsed.values():
        for s in sessions:
            assert [m.ordinal for m in s.messages] == list(range(len(s.messages)))
            assert s.first_message and s.started_at <= s.ended_at
            for m in s.messages:
                assert m.content.strip()
                assert (m.role == "assistant") or not m.tool_calls
