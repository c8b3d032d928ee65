"""Copilot CLI parser, on fixtures written here: results, usage per segment, edge cases."""

from __future__ import annotations

from pathlib import Path

from client.sources.copilot import SOURCE, discover_copilot_files, parse_copilot_file
from tests.client import copilot_lines as cp


def only(path: Path):
    sessions, problems = parse_copilot_file(path)
    assert problems == []
    (s,) = sessions
    return s


def test_a_full_turn(tmp_path: Path) -> None:
    path = cp.write(
        tmp_path,
        "cp-1",
        [
            cp.start(),
            cp.event("session.model_change", newModel="claude-opus-4.5"),
            cp.user("fix the tests"),
            cp.assistant(
                "",
                reasoningText="look first",
                toolRequests=[cp.request("t1", "bash", '{"command": "pytest -q\\necho done"}')],
            ),
            cp.complete("t1", {"stdout": "1 failed"}, success=False),
            cp.assistant("one test fails", outputTokens=12),
        ],
    )
    s = only(path)
    assert (s.session_id, s.agent, s.project, s.git_branch) == ("copilot:cp-1", "copilot", "widget", "main")
    first, second = s.messages[1:]
    assert first.content == "[Thinking]\nlook first\n[/Thinking]\n[Bash]\n$ pytest -q"
    (call,) = first.tool_calls
    assert (call.category, call.result_content, call.result_is_error) == (
        "bash",
        '{"stdout":"1 failed"}',
        True,
    )
    assert first.model == second.model == "claude-opus-4-5"
    assert second.usage is not None and second.usage.output_tokens == 12


def test_shutdown_usage_replaces_per_message_output_in_its_segment(tmp_path: Path) -> None:
    path = cp.write(
        tmp_path,
        "cp-2",
        [
            cp.start("cp-2"),
            cp.event("session.model_change", newModel="gpt-5"),
            cp.user("a"),
            cp.assistant("b", outputTokens=7),
            cp.shutdown(**{"gpt-5": {"inputTokens": 100, "outputTokens": 9, "cacheReadTokens": 40}}),
            cp.user("c"),
            cp.assistant("d", outputTokens=5),  # no shutdown after it: its own count stays
        ],
    )
    s = only(path)
    usage = [(m.content, m.usage.input_tokens, m.usage.output_tokens) for m in s.messages if m.usage]
    assert usage == [("b", 60, 9), ("d", 0, 5)]


def test_edges_partial_last_line_bad_line_bad_bytes(tmp_path: Path) -> None:
    lines = [cp.start("cp-3"), cp.user("caf\xe9 ok"), b"{not json", cp.assistant("fine")]
    path = cp.write(tmp_path, "cp-3", lines)
    raw = path.read_bytes().replace("caf\xe9".encode(), b"caf\xe9")  # a Latin-1 byte in a UTF-8 log
    path.write_bytes(raw + b'{"type":"assistant.message","data":{"content":"half')
    sessions, problems = parse_copilot_file(path)
    (s,) = sessions
    assert [m.content for m in s.messages] == ["caf\ufffd ok", "fine"]
    assert [(p.line, p.reason) for p in problems] == [(3, "malformed JSON line")]


def test_an_unreadable_file_is_one_problem(tmp_path: Path) -> None:
    missing = tmp_path / "session-state" / "gone" / "events.jsonl"
    sessions, problems = parse_copilot_file(missing)
    assert sessions == [] and len(problems) == 1 and "cannot read" in problems[0].reason


def test_folder_wins_over_flat_file_and_workspace_is_a_dependency(tmp_path: Path) -> None:
    folder = cp.write(tmp_path, "same", [cp.start("same"), cp.user("new"), cp.assistant("x")])
    cp.write(tmp_path, "same", [cp.start("same"), cp.user("old")], flat=True)
    flat_only = cp.write(tmp_path, "other", [cp.user("q"), cp.assistant("a")], flat=True)
    assert discover_copilot_files(tmp_path) == sorted([folder, flat_only])
    assert SOURCE.depends(folder, []) == [folder.with_name("workspace.yaml")]
    assert only(flat_only).session_id == "copilot:other"  # no session.start: the file name
