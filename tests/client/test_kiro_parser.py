"""Kiro reader on a conversations_v2 database and a legacy log written here."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from client.sources.kiro import SOURCE


def test_tool_uses_results_and_the_newest_row_of_an_id(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "data.sqlite3")
    con.execute(
        "CREATE TABLE conversations_v2 (key TEXT, conversation_id TEXT, value TEXT, created_at INTEGER,"
        " updated_at INTEGER, PRIMARY KEY (key, conversation_id))"
    )
    history = [
        {
            "user": {"content": {"Prompt": {"prompt": "list files"}}, "timestamp": "2026-01-01T10:00:00Z"},
            "assistant": {
                "ToolUse": {
                    "message_id": "m1",
                    "content": "checking",
                    "tool_uses": [{"id": "t1", "name": "execute_bash", "args": {"command": "ls"}}],
                }
            },
            "request_metadata": {"stream_end_timestamp_ms": 1_767_261_601_000},
        },
        {
            "user": {
                "content": {
                    "ToolUseResults": {
                        "tool_use_results": [
                            {"tool_use_id": "t1", "content": [{"Text": "a.py"}], "status": "Success"}
                        ]
                    }
                },
                "timestamp": "2026-01-01T10:00:02Z",
            },
            "assistant": {"Response": {"message_id": "m2", "content": "one file"}},
        },
    ]
    con.execute(
        "INSERT INTO conversations_v2 VALUES ('/old', 'c1', ?, 1, 2)",
        (orjson.dumps({"conversation_id": "c1", "history": history[:1]}).decode(),),
    )
    con.execute(
        "INSERT INTO conversations_v2 VALUES ('/w/app', 'c1', ?, 1, 3)",
        (orjson.dumps({"conversation_id": "c1", "history": history}).decode(),),
    )
    con.commit()
    con.close()
    (s,), problems = SOURCE.parse(tmp_path / "data.sqlite3")
    assert problems == [] and s.cwd == "/w/app"
    assert [m.content for m in s.messages] == ["list files", "checking\n[Bash]\n$ ls", "one file"]
    call = s.messages[1].tool_calls[0]
    assert (call.result_content, call.result_is_error) == ("a.py", False)


def test_a_legacy_log_with_tool_results(tmp_path: Path) -> None:
    lines = [
        {"kind": "Prompt", "data": {"content": [{"kind": "text", "data": "read it"}]}},
        {
            "kind": "AssistantMessage",
            "data": {
                "content": [
                    {
                        "kind": "toolUse",
                        "data": {"toolUseId": "u1", "name": "fs_read", "input": {"path": "a.py"}},
                    }
                ]
            },
        },
        {
            "kind": "ToolResults",
            "data": {"content": [{"kind": "toolResult", "data": {"toolUseId": "u1", "content": "print(1)"}}]},
        },
    ]
    path = tmp_path / "s1.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(x) for x in lines) + b"\n")
    (s,), problems = SOURCE.parse(path)
    assert problems == [] and s.session_id == "kiro:s1"
    call = s.messages[1].tool_calls[0]
    assert (call.category, call.result_content) == ("read", "print(1)")
    assert SOURCE.depends(path, [s]) == [tmp_path / "s1.json"]
