"""Goose reader on databases written here: tools, ledger placement, subagents, hidden rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from client.sources.goose import SOURCE, discover_goose_db

SCHEMA = """
CREATE TABLE sessions (id TEXT PRIMARY KEY, name TEXT, description TEXT, session_type TEXT, working_dir TEXT,
  created_at TIMESTAMP, updated_at TIMESTAMP, model_config_json TEXT, parent_session_id TEXT);
CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT, session_id TEXT, role TEXT,
  content_json TEXT, created_timestamp INTEGER, metadata_json TEXT);
CREATE TABLE usage_ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT, created_timestamp INTEGER,
  model TEXT, input_tokens INTEGER, output_tokens INTEGER, cache_read_tokens INTEGER, cache_write_tokens INTEGER);
"""


def db(root: Path) -> sqlite3.Connection:
    (root / "data" / "sessions").mkdir(parents=True)
    con = sqlite3.connect(root / "data" / "sessions" / "sessions.db", isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.executescript(SCHEMA)
    return con


def add(con, sid: str, role: str, t: int, blocks: list, visible: bool = True) -> None:
    con.execute(
        "INSERT INTO messages (session_id, role, content_json, created_timestamp, metadata_json) VALUES (?,?,?,?,?)",
        (sid, role, orjson.dumps(blocks).decode(), t, orjson.dumps({"userVisible": visible}).decode()),
    )


def test_tools_ledger_subagents_and_hidden_context(tmp_path: Path, monkeypatch) -> None:
    con = db(tmp_path)
    con.execute(
        "INSERT INTO sessions VALUES ('main','Fix it','','user','/w/app','2026-01-01 10:00:00',"
        "'2026-01-01 10:05:00','{\"model_name\":\"gpt-5\"}',NULL)"
    )
    con.execute(
        "INSERT INTO sessions VALUES ('kid','','Sub','sub_agent','/w/app','2026-01-01 10:01:00',"
        "'2026-01-01 10:02:00',NULL,'main')"
    )
    add(con, "main", "user", 1_767_261_600, [{"type": "text", "text": "run tests"}])
    add(con, "main", "user", 1_767_261_601, [{"type": "text", "text": "secret context"}], visible=False)
    req = {
        "type": "toolRequest",
        "id": "c1",
        "toolCall": {"status": "success", "value": {"name": "shell", "arguments": {"command": "pytest"}}},
    }
    add(con, "main", "assistant", 1_767_261_602, [{"type": "thinking", "thinking": "ok"}, req])
    add(
        con,
        "main",
        "user",
        1_767_261_603,
        [{"type": "toolResponse", "id": "c1", "toolResult": {"status": "error", "error": "exit 1"}}],
    )
    add(con, "main", "assistant", 1_767_261_604, [{"type": "text", "text": "it fails"}])
    con.executemany(
        "INSERT INTO usage_ledger (session_id, created_timestamp, model, input_tokens, output_tokens,"
        " cache_read_tokens, cache_write_tokens) VALUES (?,?,?,?,?,?,?)",
        [("main", 1_767_261_602, "gpt-5", 100, 10, 5, 0), ("main", 1_767_261_604, None, 120, 7, 0, 1)],
    )
    add(con, "kid", "user", 1_767_261_660, [{"type": "text", "text": "sub task"}])
    monkeypatch.setenv("GOOSE_PATH_ROOT", str(tmp_path))
    (path,) = SOURCE.files()
    assert path == tmp_path / "data" / "sessions" / "sessions.db" == discover_goose_db(tmp_path)[0]
    sessions, problems = SOURCE.parse(path)
    con.close()
    assert problems == []
    by_id = {s.session_id: s for s in sessions}
    main = by_id["goose:main"]
    assert [m.content for m in main.messages] == [
        "run tests",
        "[Thinking]\nok\n[/Thinking]\n[Bash]\n$ pytest",
        "it fails",
    ]
    call = main.messages[1].tool_calls[0]
    assert (call.result_content, call.result_is_error) == ("exit 1", True)
    assert [(m.usage.input_tokens, m.usage.output_tokens) for m in main.messages if m.usage] == [
        (100, 10),
        (120, 7),
    ]
    kid = by_id["goose:kid"]
    assert (kid.parent_session_id, kid.relationship, kid.display_name) == ("goose:main", "subagent", "Sub")
