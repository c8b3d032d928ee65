"""Zed reader on a threads.db written here: zstd payloads, tools with results, usage, bad rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import zstandard

from client.sources.zed import SOURCE


def test_agent_messages_tools_usage_and_a_broken_row(tmp_path: Path) -> None:
    (tmp_path / "threads").mkdir()
    con = sqlite3.connect(tmp_path / "threads" / "threads.db", isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute(
        "CREATE TABLE threads (id TEXT PRIMARY KEY, summary TEXT, updated_at TEXT, data_type TEXT, data BLOB,"
        " parent_id TEXT, folder_paths TEXT, created_at TEXT)"
    )
    doc = {
        "model": {"model": "claude-sonnet-4-5", "provider": "anthropic"},
        "request_token_usage": {
            "r1": {"input_tokens": 100, "output_tokens": 10},
            "r2": {"input_tokens": 150, "output_tokens": 5},
        },
        "messages": [
            {"User": {"content": [{"Text": "list files"}, {"Mention": {"uri": "file:///w/a.py"}}]}},
            {
                "Agent": {
                    "content": [
                        {"Thinking": {"text": "use ls"}},
                        {"ToolUse": {"id": "t1", "name": "terminal", "input": {"command": "ls"}}},
                    ],
                    "tool_results": {"t1": {"content": [{"Text": "a.py"}]}},
                }
            },
            {"Agent": {"content": [{"Text": {"text": "one file"}}]}},
        ],
    }
    packed = zstandard.ZstdCompressor().compress(orjson.dumps(doc))
    con.execute(
        "INSERT INTO threads VALUES ('t', 'Files', '2026-01-01T10:05:00Z', 'zstd', ?, NULL, '/w\n/other', '2026-01-01T10:00:00Z')",
        (packed,),
    )
    con.execute("INSERT INTO threads VALUES ('bad', '', '', 'zstd', X'00010203', NULL, '', '')")
    sessions, problems = SOURCE.parse(tmp_path / "threads" / "threads.db")
    con.close()
    (s,) = sessions
    assert [m.content for m in s.messages] == [
        "list files\n[attachment]",
        "[Thinking]\nuse ls\n[/Thinking]\n[Bash]\n$ ls",
        "one file",
    ]
    assert s.messages[1].tool_calls[0].result_content == "a.py"
    u = s.messages[2].usage
    assert (u.input_tokens, u.output_tokens, s.messages[2].model, s.cwd) == (
        250,
        15,
        "claude-sonnet-4-5",
        "/w",
    )
    assert len(problems) == 1 and problems[0].reason.startswith("thread bad:")
