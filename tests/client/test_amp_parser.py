"""Amp reader on thread documents written here."""

from __future__ import annotations

from pathlib import Path

import orjson

from client.sources.amp import discover_amp_files, parse_amp_file


def thread(root: Path, name: str, doc: dict | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(doc if isinstance(doc, bytes) else orjson.dumps(doc))
    return path


def test_thinking_tools_results_and_errors(tmp_path: Path) -> None:
    path = thread(
        tmp_path,
        "T-abc.json",
        {
            "id": "T-abc",
            "created": 1_767_600_000_000,
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "grep it"}]},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "search first"},
                        {"type": "tool_use", "id": "a", "name": "Grep", "input": {"pattern": "TODO"}},
                        {"type": "tool_use", "id": "b", "name": "Bash", "input": {"command": "false"}},
                    ],
                    "usage": {"model": "claude-opus-4", "inputTokens": 3, "outputTokens": 4},
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "toolUseID": "a",
                            "run": {"status": "done", "result": ["a.py:1"]},
                        },
                        {
                            "type": "tool_result",
                            "toolUseID": "b",
                            "run": {"status": "error", "error": {"message": "exit 1"}},
                        },
                    ],
                },
            ],
        },
    )
    (s,), problems = parse_amp_file(path)
    assert problems == [] and len(s.messages) == 2  # the results-only user message is no prompt
    grep, bash = s.messages[1].tool_calls
    assert (grep.category, grep.result_content, grep.result_is_error) == ("search", "a.py:1", False)
    assert (bash.result_content, bash.result_is_error) == ("exit 1", True)
    assert s.messages[1].content.startswith("[Thinking]\nsearch first\n[/Thinking]\n[Grep: TODO]")


def test_a_broken_document_is_one_problem_and_bad_bytes_are_repaired(tmp_path: Path) -> None:
    broken = thread(tmp_path, "T-broken.json", b'{"id": "T-broken", "messages": [')
    assert parse_amp_file(broken) == ([], parse_amp_file(broken)[1])
    assert [p.reason for p in parse_amp_file(broken)[1]] == ["malformed thread file"]
    doc = orjson.dumps(
        {"id": "T-bytes", "messages": [{"role": "user", "content": [{"type": "text", "text": "caf\u00e9"}]}]}
    )
    bad = thread(tmp_path, "T-bytes.json", doc.replace("\u00e9".encode(), b"\xe9"))
    (s,), problems = parse_amp_file(bad)
    assert problems == [] and s.messages[0].content == "caf\ufffd"
    thread(tmp_path, "notes.json", {"id": "x"})  # not a thread file name
    assert discover_amp_files(tmp_path) == [broken, bad]
