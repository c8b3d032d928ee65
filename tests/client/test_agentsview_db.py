"""Import from an agentsview SQLite database, on databases CREATEd here.

The DDL below is agentsview's local SQLite schema (its ``~/.agentsview/sessions.db``,
as documented by agentsview): the local ``sessions``/``messages``/``tool_calls`` tables,
with an ``OLD_SCHEMA`` variant lacking the optional columns older agentsview
versions did not have (``deleted_at``, ``is_system``, ``model``,
``token_usage``, ``display_name``, ``relationship_type``...).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import orjson
import pytest

from client.sources.agentsview_db import agentsview_db_path, discover_agentsview_db, parse_agentsview_db

NEW_SCHEMA = """
CREATE TABLE sessions (
  id TEXT PRIMARY KEY, machine TEXT NOT NULL DEFAULT 'local', project TEXT NOT NULL,
  agent TEXT NOT NULL DEFAULT 'claude', first_message TEXT, display_name TEXT,
  created_at TEXT, started_at TEXT, ended_at TEXT, deleted_at TEXT,
  message_count INTEGER NOT NULL DEFAULT 0, user_message_count INTEGER NOT NULL DEFAULT 0,
  parent_session_id TEXT, relationship_type TEXT NOT NULL DEFAULT '',
  file_path TEXT, file_size INTEGER, file_mtime INTEGER, file_hash TEXT,
  total_output_tokens INTEGER, peak_context_tokens INTEGER);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id), ordinal INTEGER NOT NULL,
  role TEXT NOT NULL, content TEXT NOT NULL, timestamp TEXT,
  has_thinking INTEGER NOT NULL DEFAULT 0, has_tool_use INTEGER NOT NULL DEFAULT 0,
  content_length INTEGER NOT NULL DEFAULT 0, is_system INTEGER NOT NULL DEFAULT 0, model TEXT,
  token_usage TEXT, context_tokens INTEGER, output_tokens INTEGER, UNIQUE(session_id, ordinal));
CREATE TABLE tool_calls (
  id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL REFERENCES messages(id), session_id TEXT NOT NULL,
  tool_name TEXT NOT NULL, category TEXT NOT NULL, tool_use_id TEXT NOT NULL DEFAULT '', input_json TEXT,
  skill_name TEXT, result_content_length INTEGER, result_content TEXT, subagent_session_id TEXT,
  call_index INTEGER NOT NULL DEFAULT 0);
"""

OLD_SCHEMA = """
CREATE TABLE sessions (
  id TEXT PRIMARY KEY, machine TEXT NOT NULL DEFAULT 'local', project TEXT NOT NULL,
  agent TEXT NOT NULL DEFAULT 'claude', first_message TEXT, started_at TEXT, ended_at TEXT,
  message_count INTEGER NOT NULL DEFAULT 0, parent_session_id TEXT);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, ordinal INTEGER NOT NULL, role TEXT NOT NULL,
  content TEXT NOT NULL, timestamp TEXT, has_thinking INTEGER NOT NULL DEFAULT 0,
  has_tool_use INTEGER NOT NULL DEFAULT 0, content_length INTEGER NOT NULL DEFAULT 0);
CREATE TABLE tool_calls (
  id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL, session_id TEXT NOT NULL, tool_name TEXT NOT NULL,
  category TEXT NOT NULL, tool_use_id TEXT, input_json TEXT, result_content_length INTEGER);
"""


def _insert(con: sqlite3.Connection, table: str, **row) -> int:
    cols = ", ".join(f'"{c}"' for c in row)
    cur = con.execute(
        f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )
    return cur.lastrowid


def make_db(path: Path, *, old: bool = False) -> Path:
    con = sqlite3.connect(path)
    con.executescript(OLD_SCHEMA if old else NEW_SCHEMA)
    extra = {} if old else {"display_name": "Rate limits", "relationship_type": ""}
    _insert(
        con,
        "sessions",
        id="abc-123",
        project="my-api",
        agent="claude",
        first_message="Add rate limiting",
        started_at="2024-01-01T10:00:00Z",
        ended_at="2024-01-01T10:00:09Z",
        **extra,
    )
    _insert(
        con,
        "messages",
        session_id="abc-123",
        ordinal=0,
        role="user",
        content="Add rate limiting",
        timestamp="2024-01-01T10:00:00Z",
    )
    msg = (
        {}
        if old
        else {
            "model": "claude-sonnet-4-5",
            "context_tokens": 1100,
            "output_tokens": 40,
            "token_usage": orjson.dumps(
                {
                    "input_tokens": 100,
                    "output_tokens": 40,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 1000,
                }
            ).decode(),
        }
    )
    mid = _insert(
        con,
        "messages",
        session_id="abc-123",
        ordinal=1,
        role="assistant",
        content="[Thinking]\nhmm\n[/Thinking]\n[Read: a.py]\n[Bash]\n$ ls",
        has_thinking=1,
        has_tool_use=1,
        timestamp="2024-01-01T10:00:05Z",
        **msg,
    )
    call = {} if old else {"result_content": "print(1)", "call_index": 0, "skill_name": None}
    _insert(
        con,
        "tool_calls",
        message_id=mid,
        session_id="abc-123",
        tool_name="Read",
        category="Read",
        tool_use_id="toolu_1",
        input_json='{"file_path":"a.py"}',
        result_content_length=8,
        **call,
    )
    call = {} if old else {"call_index": 1, "subagent_session_id": "agent-x"}
    _insert(
        con,
        "tool_calls",
        message_id=mid,
        session_id="abc-123",
        tool_name="Bash",
        category="Bash",
        tool_use_id="toolu_2",
        input_json='{"command":"ls"}',
        **call,
    )
    _insert(
        con,
        "sessions",
        id="codex:fc-1",
        project="app",
        agent="codex",
        started_at="2024-01-02T10:00:00Z",
        parent_session_id=None,
        **({} if old else {"relationship_type": "fork"}),
    )
    _insert(con, "messages", session_id="codex:fc-1", ordinal=0, role="user", content="Run the tests")
    _insert(con, "messages", session_id="codex:fc-1", ordinal=2, role="assistant", content="[Grep: TODO]")
    if not old:
        _insert(con, "sessions", id="gone", project="p", agent="gemini", deleted_at="2024-02-01T00:00:00Z")
        _insert(con, "messages", session_id="gone", ordinal=0, role="user", content="deleted")
        _insert(
            con, "messages", session_id="abc-123", ordinal=2, role="system", content="compacted", is_system=1
        )
    _insert(con, "sessions", id="empty", project="p", agent="claude")
    con.commit()
    con.close()
    return path


@pytest.mark.parametrize("old", [False, True], ids=["current", "old-schema"])
def test_reads_every_live_session(tmp_path, old):
    db = make_db(tmp_path / "sessions.db", old=old)
    before = db.read_bytes()
    sessions, problems = parse_agentsview_db(db)
    assert problems == []
    assert db.read_bytes() == before  # opened read-only
    by_id = {s.session_id: s for s in sessions}
    assert sorted(by_id) == ["abc-123", "codex:fc-1"]  # deleted and message-less sessions skipped
    s = by_id["abc-123"]
    assert (s.agent, s.project, s.first_message, s.started_at) == (
        "claude",
        "my-api",
        "Add rate limiting",
        "2024-01-01T10:00:00Z",
    )
    assert s.source_path == str(db)
    user, asst = s.messages[:2]
    assert (user.ordinal, user.role, user.content) == (0, "user", "Add rate limiting")
    assert asst.has_thinking and asst.has_tool_use and asst.blocks is None
    calls = [(c.call_index, c.tool_name, c.category, c.tool_use_id) for c in asst.tool_calls]
    assert calls == [(0, "Read", "read", "toolu_1"), (1, "Bash", "bash", "toolu_2")]
    codex = by_id["codex:fc-1"]
    assert codex.agent == "codex"
    assert [m.ordinal for m in codex.messages] == [
        0,
        1,
    ]  # renumbered: the protocol needs consecutive ordinals
    if old:
        assert asst.usage is None and asst.model is None and asst.tool_calls[0].result_content is None
        assert len(s.messages) == 2 and s.display_name is None and codex.relationship == ""
    else:
        assert asst.model == "claude-sonnet-4-5"
        u = asst.usage
        assert (u.input_tokens, u.output_tokens, u.cache_read_tokens) == (100, 40, 1000)
        assert asst.tool_calls[0].result_content == "print(1)"
        assert asst.tool_calls[1].subagent_session_id == "agent-x"
        assert s.messages[2].role == "system" and s.messages[2].is_system
        assert s.display_name == "Rate limits" and codex.relationship == "fork"


def test_usage_falls_back_to_token_columns(tmp_path):
    db = make_db(tmp_path / "sessions.db")
    con = sqlite3.connect(db)
    con.execute("UPDATE messages SET token_usage = NULL WHERE ordinal = 1")
    con.commit()
    con.close()
    (s,) = [s for s in parse_agentsview_db(db)[0] if s.session_id == "abc-123"]
    u = s.messages[1].usage
    assert (u.input_tokens, u.output_tokens) == (1100, 40)


def test_not_a_database_is_one_problem(tmp_path):
    junk = tmp_path / "sessions.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    sessions, problems = parse_agentsview_db(junk)
    assert sessions == [] and len(problems) == 1 and problems[0].line is None
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE x (a)")
    con.close()
    assert parse_agentsview_db(other)[1][0].reason.startswith("not an agentsview database")
    assert parse_agentsview_db(tmp_path / "missing.db")[1][0].reason.startswith("cannot")
    assert not (tmp_path / "missing.db").exists()  # mode=ro never creates the file


def test_discover_and_default_path(tmp_path, monkeypatch):
    assert discover_agentsview_db(tmp_path) == []
    db = make_db(tmp_path / "sessions.db")
    assert discover_agentsview_db(tmp_path) == [db] == discover_agentsview_db(db)
    monkeypatch.setenv("AGENTSVIEW_DB", str(db))
    assert agentsview_db_path() == db
    monkeypatch.delenv("AGENTSVIEW_DB")
    assert agentsview_db_path() == Path(os.path.expanduser("~")) / ".agentsview" / "sessions.db"
