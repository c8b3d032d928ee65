"""Unit tests for client.sources.codex, on lines built by codex_lines."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client.sources.codex import codex_sessions_dir, discover_codex_files, parse_codex_file
from tests.client import codex_lines as cx

ROLLOUT = f"2026/01/05/rollout-2026-01-05T10-00-00-{cx.SID}.jsonl"


def parse_lines(tmp_path: Path, lines: list, **kw):
    include_exec = kw.pop("include_exec", False)
    path = cx.write(tmp_path / ROLLOUT, lines, **kw)
    return parse_codex_file(path, include_exec=include_exec)


def only(tmp_path: Path, lines: list, **kw):
    sessions, problems = parse_lines(tmp_path, lines, **kw)
    assert problems == []
    assert len(sessions) == 1
    return sessions[0]


def t(sec: int) -> str:
    return f"2026-01-05T10:00:{sec:02d}.000Z"


def test_session_fields(tmp_path):
    s = only(
        tmp_path,
        [
            cx.meta(t(0)),
            cx.turn_context(ts=t(1)),
            cx.user("<environment_context>\n  <cwd>/x</cwd>\n</environment_context>", t(1)),
            cx.user("# AGENTS.md instructions for /x\n\n<INSTRUCTIONS>be nice</INSTRUCTIONS>", t(1)),
            cx.user("Fix the\nlogin bug", t(2)),
            cx.assistant("Done.", t(5)),
        ],
    )
    assert s.session_id == f"codex:{cx.SID}" and s.agent == "codex"
    assert s.cwd == cx.CWD and s.project == "widget" and s.git_branch == "main"
    assert s.first_message == "Fix the login bug"  # injected context is not the first message
    assert (s.started_at, s.ended_at, s.created_at) == (t(0), t(5), t(0))
    assert [(m.ordinal, m.role) for m in s.messages] == [(0, "user"), (1, "assistant")]
    assert s.messages[1].model == "gpt-5-codex" and s.messages[0].model is None
    assert s.messages[1].blocks == [{"type": "text", "text": "Done."}]
    assert s.relationship == "" and s.parent_session_id is None


def test_tool_calls_paired_by_call_id(tmp_path):
    s = only(
        tmp_path,
        [
            cx.meta(),
            cx.turn_context(),
            cx.user("run tests"),
            cx.reasoning("**Planning**", "I will run pytest"),
            cx.function_call("call_1", "shell", {"command": ["bash", "-lc", "pytest -q\necho done"]}),
            cx.function_call("call_2", "exec_command", {"cmd": "ls"}),
            cx.token_count(1000, 800, 50, total=(1000, 800, 50)),
            cx.function_output("call_2", "a.py"),
            cx.function_output(
                "call_1", '{"output":"1 failed","metadata":{"exit_code":1,"duration_seconds":0.5}}'
            ),
            cx.custom_call(
                "call_3",
                "apply_patch",
                "*** Begin Patch\n*** Update File: src/app.py\n@@\n-a\n+b\n*** End Patch",
            ),
            cx.custom_output(
                "call_3", '{"output":"Success. Updated: M src/app.py","metadata":{"exit_code":0}}'
            ),
            cx.assistant("All green."),
            cx.token_count(2000, 1500, 20, total=(3000, 2300, 70)),
        ],
    )
    assert [m.role for m in s.messages] == ["user", "assistant", "assistant", "assistant"]
    first, patch, final = s.messages[1:]
    assert first.content == (
        "[Thinking]\n**Planning**\n\nI will run pytest\n[/Thinking]\n[Bash]\n$ pytest -q\n[Bash]\n$ ls"
    )
    assert first.has_thinking and first.has_tool_use
    assert [b["type"] for b in first.blocks] == ["thinking", "tool_use", "tool_use"]
    assert first.blocks[1] == {"type": "tool_use", "id": "call_1", "name": "shell"}
    c1, c2 = first.tool_calls
    assert (c1.call_index, c1.tool_name, c1.category, c1.tool_use_id) == (0, "shell", "bash", "call_1")
    assert (c1.result_content, c1.result_is_error) == ("1 failed", True)
    assert (c2.call_index, c2.result_content, c2.result_is_error) == (1, "a.py", False)
    assert orjson.loads(c2.input_json) == {"cmd": "ls"}
    # apply_patch (custom tool) is an edit; raw input stored as a JSON string
    assert patch.content == "[Edit: src/app.py]"
    (c3,) = patch.tool_calls
    assert c3.category == "edit" and orjson.loads(c3.input_json).startswith("*** Begin Patch")
    assert c3.result_content == "Success. Updated: M src/app.py" and not c3.result_is_error
    assert final.content == "All green." and not final.tool_calls


def test_usage_on_the_response_and_counted_once(tmp_path):
    s = only(
        tmp_path,
        [
            cx.meta(),
            cx.turn_context(),
            cx.token_count_empty(),
            cx.user("go"),
            cx.function_call("c1", "exec_command", {"cmd": "ls"}),
            cx.token_count(1000, 600, 40, total=(1000, 600, 40)),
            cx.token_count(1000, 600, 40, total=(1000, 600, 40)),  # re-emitted: same total
            cx.function_output("c1", "x"),
            cx.assistant("done"),
            cx.token_count(1200, 1000, 10, total=(2200, 1600, 50)),
            cx.user("again"),
            cx.assistant("ok"),
            cx.token_count(1300, 1200, 5, total=(3500, 2800, 55)),
        ],
    )
    usage = [(m.role, m.usage) for m in s.messages]
    assert [(r, (u.input_tokens, u.cache_read_tokens, u.output_tokens) if u else None) for r, u in usage] == [
        ("user", None),
        ("assistant", (400, 600, 40)),
        ("assistant", (200, 1000, 10)),
        ("user", None),
        ("assistant", (100, 1200, 5)),
    ]
    # the sum equals the final total_token_usage: nothing double counted
    total = [u for _, u in usage if u]
    assert sum(u.input_tokens + u.cache_read_tokens for u in total) == 3500
    assert sum(u.output_tokens for u in total) == 55


def test_usage_after_tool_output_goes_to_that_response(tmp_path):
    # Some versions write the tool output before the token_count that ends the response.
    s = only(
        tmp_path,
        [
            cx.meta(),
            cx.user("go"),
            cx.function_call("c1", "exec_command", {"cmd": "ls"}),
            cx.function_output("c1", "x"),
            cx.token_count(100, 0, 7, total=(100, 0, 7)),
            cx.assistant("done"),
            cx.token_count(200, 100, 3, total=(300, 100, 10)),
        ],
    )
    assert [m.usage.output_tokens for m in s.messages[1:]] == [7, 3]


def test_usage_without_total_dedupes_on_last(tmp_path):
    s = only(
        tmp_path,
        [cx.meta(), cx.user("go"), cx.assistant("a"), cx.token_count(10, 0, 1), cx.token_count(10, 0, 1)],
    )
    assert s.messages[1].usage.output_tokens == 1


def test_usage_before_any_content_waits_for_next_message(tmp_path):
    # A response of encrypted reasoning only produces no message: its usage is not lost.
    s = only(
        tmp_path,
        [
            cx.meta(),
            cx.user("go"),
            cx.reasoning(),
            cx.token_count(50, 0, 9, total=(50, 0, 9)),
            cx.assistant("a"),
            cx.token_count(60, 0, 1, total=(110, 0, 10)),
        ],
    )
    assert s.messages[1].usage.output_tokens == 10


def test_compaction_kept_as_system_message(tmp_path):
    s = only(
        tmp_path,
        [
            cx.meta(),
            cx.user("go"),
            cx.assistant("a"),
            {"timestamp": cx.TS, "type": "compacted", "payload": {"message": "Summary so far"}},
            cx.user("more"),
        ],
    )
    assert [(m.role, m.is_system, m.content) for m in s.messages][2] == ("system", True, "Summary so far")
    assert s.first_message == "go"


def test_exec_sessions_excluded_unless_asked(tmp_path):
    lines = [cx.meta(originator="codex_exec"), cx.user("go"), cx.assistant("ok")]
    assert parse_lines(tmp_path, lines) == ([], [])
    sessions, _ = parse_lines(tmp_path, lines, include_exec=True)
    assert len(sessions) == 1 and sessions[0].session_id == f"codex:{cx.SID}"


def test_fork_relationship(tmp_path):
    s = only(tmp_path, [cx.meta(forked_from_id="parent-1"), cx.user("go"), cx.assistant("ok")])
    assert (s.parent_session_id, s.relationship) == ("codex:parent-1", "fork")


def test_replayed_first_prompt_after_abort_dropped_once(tmp_path):
    s = only(
        tmp_path,
        [
            cx.meta(),
            cx.user("do it"),
            cx.event("turn_aborted", reason="interrupted"),
            cx.user("<turn_aborted>\nThe user interrupted.\n</turn_aborted>"),
            cx.user("do it"),
            cx.assistant("ok"),
            cx.user("do it"),
        ],
    )
    assert [m.content for m in s.messages] == ["do it", "ok", "do it"]


@pytest.mark.parametrize(
    ("name", "args", "summary", "text"),
    [
        ("exec_command", {"cmd": "rg --files", "workdir": "/tmp"}, None, "[Bash]\n$ rg --files"),
        ("shell_command", {"command": "make test"}, "Running tests", "[Bash: Running tests]\n$ make test"),
        ("write_stdin", {"chars": "yes\n", "session_id": "s-42"}, None, "[Bash: stdin -> s-42]\nyes\\n"),
        (
            "apply_patch",
            {"input": "*** Begin Patch\n*** Add File: a.py\n*** Delete File: b.py\n*** End Patch"},
            None,
            "[Edit: a.py (+1 more)]\na.py\nb.py",
        ),
        (
            "update_plan",
            {"plan": [{"step": "read", "status": "completed"}, {"step": "fix", "status": "pending"}]},
            None,
            "[Todo List]\n  ✓ read\n  ○ fix",
        ),
        (
            "spawn_agent",
            {"agent_type": "explorer", "message": "find bugs\nthen report"},
            None,
            "[Task: explorer]\nfind bugs",
        ),
        ("view_image", {"path": "/x.png"}, None, '[Tool: view_image]\n{"path":"/x.png"}'),
        ("github__search", {"q": "x"}, None, '[Tool: github__search]\n{"q":"x"}'),
    ],
)
def test_tool_formatting(tmp_path, name, args, summary, text):
    extra = {"summary": summary} if summary else {}
    s = only(tmp_path, [cx.meta(), cx.user("go"), cx.function_call("c", name, args, **extra)])
    assert s.messages[1].content == text


def test_unparseable_arguments_kept_as_json_string(tmp_path):
    s = only(tmp_path, [cx.meta(), cx.user("go"), cx.function_call("c", "exec_command", "ls -la")])
    call = s.messages[1].tool_calls[0]
    assert s.messages[1].content == "[Bash]\n$ ls -la"
    assert orjson.loads(call.input_json) == "ls -la"


def test_local_shell_and_web_search_items(tmp_path):
    s = only(
        tmp_path,
        [
            cx.meta(),
            cx.user("go"),
            {
                "timestamp": cx.TS,
                "type": "response_item",
                "payload": {
                    "type": "local_shell_call",
                    "call_id": "ls1",
                    "status": "completed",
                    "action": {"type": "exec", "command": ["bash", "-lc", "git status"]},
                },
            },
            {
                "timestamp": cx.TS,
                "type": "response_item",
                "payload": {
                    "type": "web_search_call",
                    "status": "completed",
                    "action": {"type": "search", "query": "orjson"},
                },
            },
            cx.function_output("ls1", "clean"),
        ],
    )
    m = s.messages[1]
    assert m.content == "[Bash]\n$ git status\n[WebSearch: orjson]"
    assert [c.category for c in m.tool_calls] == ["bash", "web"]
    assert m.tool_calls[0].result_content == "clean"


def test_event_msg_duplicates_ignored(tmp_path):
    s = only(
        tmp_path,
        [
            cx.meta(),
            cx.event("user_message", message="hi"),
            cx.user("hi"),
            cx.event("agent_reasoning", text="think"),
            cx.event("agent_message", message="hello"),
            cx.assistant("hello"),
        ],
    )
    assert [m.content for m in s.messages] == ["hi", "hello"]
    # skipped without decoding, but their timestamps still bound the session
    s = only(
        tmp_path,
        [
            cx.meta(t(0)),
            cx.user("hi", t(1)),
            cx.assistant("a", t(2)),
            cx.event("agent_message", t(9), message="a"),
        ],
    )
    assert (s.started_at, s.ended_at) == (t(0), t(9))


def test_malformed_lines_reported_and_skipped(tmp_path):
    sessions, problems = parse_lines(
        tmp_path,
        [
            cx.meta(),
            cx.user("one"),
            "{not json",
            "[1, 2]",
            {"timestamp": cx.TS, "type": "response_item", "payload": "oops"},
            cx.assistant("two"),
            '{"timestamp": "2026-01-05T10:00:09Z", "type": "resp',
        ],
        trailing_newline=False,
    )
    assert [(p.line, p.reason) for p in problems] == [
        (3, "malformed JSON line"),
        (4, "line is not a JSON object"),
        (5, "response_item line without a payload object"),
    ]
    assert [m.content for m in sessions[0].messages] == ["one", "two"]  # cut-off last line tolerated


def test_unreadable_and_empty_files(tmp_path):
    sessions, problems = parse_codex_file(tmp_path / "missing.jsonl")
    assert sessions == [] and problems[0].line is None
    assert parse_lines(tmp_path, [cx.meta(), cx.turn_context()]) == ([], [])


def test_missing_meta_uses_uuid_from_file_name(tmp_path):
    s = only(tmp_path, [cx.user("go"), cx.assistant("ok")])
    assert s.session_id == f"codex:{cx.SID}" and s.project == ""


def test_legacy_rollout_without_envelope(tmp_path):
    s = only(
        tmp_path,
        [
            {"id": "legacy-1", "timestamp": "2025-04-01T10:00:00Z", "instructions": None},
            {"record_type": "state"},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello"}]},
            {"type": "function_call", "name": "shell", "arguments": '{"command":["ls"]}', "call_id": "c"},
            {
                "type": "function_call_output",
                "call_id": "c",
                "output": '{"output":"a","metadata":{"exit_code":0}}',
            },
        ],
    )
    assert s.session_id == "codex:legacy-1"
    assert s.messages[1].content == "[Bash]\n$ ls" and s.messages[1].tool_calls[0].result_content == "a"


def test_discovery_and_default_dir(tmp_path, monkeypatch):
    cx.write(tmp_path / "2026/01/05/rollout-a.jsonl", [cx.meta()])
    cx.write(tmp_path / "2026/01/06/rollout-b.jsonl", [cx.meta()])
    (tmp_path / "notes.jsonl").write_text("{}")
    assert [p.name for p in discover_codex_files(tmp_path)] == ["rollout-a.jsonl", "rollout-b.jsonl"]
    assert discover_codex_files(tmp_path / "nope") == []
    monkeypatch.setenv("CODEX_SESSIONS_DIR", str(tmp_path))
    assert codex_sessions_dir() == tmp_path
    monkeypatch.delenv("CODEX_SESSIONS_DIR")
    assert codex_sessions_dir() == Path.home() / ".codex" / "sessions"


_SAMPLE = [
    cx.meta(),
    cx.turn_context(),
    cx.user("go"),
    cx.reasoning("plan"),
    cx.function_call("c1", "shell", {"command": ["bash", "-lc", "ls"]}),
    cx.function_output("c1", "a"),
    cx.token_count(10, 5, 2, total=(10, 5, 2)),
    cx.event("agent_message", message="x"),
    cx.assistant("done"),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=len(cx.jsonl(_SAMPLE))), junk=st.binary(max_size=40))
def test_never_raises_on_cut_or_garbage(tmp_path, cut, junk):
    data = cx.jsonl(_SAMPLE)
    path = tmp_path / "rollout-x.jsonl"
    path.write_bytes(data[:cut] + b"\n" + junk + b"\n" + data[cut:])
    sessions, problems = parse_codex_file(path)  # must not raise
    assert len(sessions) <= 1 and all(p.line for p in problems)
    path.write_bytes(data[:cut])  # a file cut anywhere: at most the cut line is lost, silently
    sessions, problems = parse_codex_file(path)
    assert problems == []
