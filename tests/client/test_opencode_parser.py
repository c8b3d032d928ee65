"""OpenCode reader on databases and storage trees written here."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from client.sources import opencode
from client.sources.opencode import SOURCE
from tests.client import opencode_db as oc


def parse_db(root: Path):
    sessions, problems = SOURCE.parse(root / "opencode.db")
    return {s.session_id: s for s in sessions}, problems


def test_a_session_with_reasoning_tools_steps_and_a_subagent(tmp_path: Path) -> None:
    db = oc.OpenCodeDb(tmp_path / "opencode.db")
    db.session("ses_main")
    db.session("ses_sub", parent="ses_main", title="Child session - 2026-01-05T10:00:00.000Z")
    db.message("ses_main", "user", oc.text("plan and run"))
    db.message(
        "ses_main",
        "assistant",
        {"type": "reasoning", "text": "two steps"},
        oc.tool("bash", "c1", {"command": "make"}, "ok\n", metadata={"exit": 0}),
        oc.step_finish(100, 10, reasoning=5, read=50),
        oc.tool("task", "c2", {"description": "review"}, "done", metadata={"sessionId": "ses_sub"}),
        oc.step_finish(200, 20, read=150, write=7),
        oc.text("all done"),
        modelID="claude-sonnet-4-5",
        tokens={"input": 200, "output": 20, "cache": {"read": 150, "write": 7}},  # the last step only
    )
    db.message("ses_sub", "user", oc.text("review it"))
    db.close()
    sessions, problems = parse_db(tmp_path)
    assert problems == []
    main = sessions["opencode:ses_main"]
    reply = main.messages[1]
    assert reply.content == "[Thinking]\ntwo steps\n[/Thinking]\n[Bash]\n$ make\n[Task: review]\nall done"
    assert reply.model == "claude-sonnet-4-5" and reply.has_thinking
    u = reply.usage
    assert (u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_creation_tokens) == (
        300,
        35,
        200,
        7,
    )
    bash, task = reply.tool_calls
    assert (bash.result_content, bash.result_is_error) == ("ok\n", False)
    assert (task.category, task.subagent_session_id) == ("task", "opencode:ses_sub")
    sub = sessions["opencode:ses_sub"]
    assert (sub.parent_session_id, sub.relationship, sub.display_name) == (
        "opencode:ses_main",
        "subagent",
        None,
    )


def test_bad_rows_are_reported_bad_bytes_repaired(tmp_path: Path) -> None:
    db = oc.OpenCodeDb(tmp_path / "opencode.db")
    db.session("ses_1")
    db.message("ses_1", "user", oc.text("hello"))
    db.con.execute("INSERT INTO message VALUES ('msg_bad', 'ses_1', 1, 1, '{broken')")
    db.con.execute(
        "INSERT INTO message VALUES ('msg_x', 'ses_1', ?, ?, '{\"role\":\"assistant\"}')",
        (oc.T0 + 9000, oc.T0 + 9000),
    )
    db.con.execute(
        "INSERT INTO part VALUES ('prt_x', 'msg_x', 'ses_1', 0, 0, CAST(? AS BLOB))",
        (b'{"type":"text","text":"caf' + b"\xe9" + b'"}',),
    )
    db.close()
    sessions, problems = parse_db(tmp_path)
    assert [m.content for m in sessions["opencode:ses_1"].messages] == ["hello", "caf\ufffd"]
    assert [p.reason for p in problems] == ["message msg_bad: data is not a JSON object"]


def test_storage_sessions_win_over_the_database(tmp_path: Path) -> None:
    db = oc.OpenCodeDb(tmp_path / "opencode.db")
    db.session("ses_both")
    db.message("ses_both", "user", oc.text("old copy"))
    db.session("ses_db_only")
    db.message("ses_db_only", "user", oc.text("only here"))
    db.close()
    stored = oc.storage_session(
        tmp_path,
        "ses_both",
        [
            ({"role": "user"}, [oc.text("stored copy")]),
            ({"role": "assistant", "tokens": {}}, [oc.text("reply")]),
        ],
    )
    assert SOURCE.discover(tmp_path) == [tmp_path / "opencode.db", stored]
    sessions, problems = SOURCE.collect(tmp_path)
    got = {s.session_id: [m.content for m in s.messages] for s in sessions}
    assert got == {"opencode:ses_db_only": ["only here"], "opencode:ses_both": ["stored copy", "reply"]}
    assert sessions[1].messages[1].usage is None  # "tokens": {} is unknown, not zero
    deps = SOURCE.depends(stored, sessions)
    assert stored.parents[2] / "message" / "ses_both" / "msg_0000.json" in deps
    assert stored.parents[2] / "part" / "msg_0001" / "prt_0.json" in deps
    assert SOURCE.depends(tmp_path / "opencode.db", []) == [
        tmp_path / "opencode.db-wal",
        tmp_path / "storage" / "session",
    ]


def test_not_an_opencode_database(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "opencode.db").execute("CREATE TABLE other (x)").connection.close()
    sessions, problems = parse_db(tmp_path)
    assert sessions == {} and [p.reason for p in problems] == ["not an OpenCode database (no session table)"]


def test_default_location_is_the_xdg_data_folder(empty_home: Path, monkeypatch) -> None:
    assert SOURCE.roots() == [empty_home / ".local" / "share" / "opencode"]
    monkeypatch.setenv("XDG_DATA_HOME", str(empty_home / "data"))
    assert SOURCE.roots() == [empty_home / "data" / "opencode"]
    monkeypatch.setenv("OPENCODE_DIR", "/srv/oc")
    assert SOURCE.roots() == [Path("/srv/oc")] and opencode.DATABASE == "opencode.db"
