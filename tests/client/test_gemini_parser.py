"""Unit tests for client.sources.gemini, on chat files built here."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

from client.sources.gemini import discover_gemini_files, gemini_dir, parse_gemini_file

SID = "5b2e6c1a-0000-4000-8000-000000000001"
CWD = "/home/demo/projects/widget"
HASH = hashlib.sha256(CWD.encode()).hexdigest()


def user(text: Any, ts: str = "2026-01-05T10:00:00Z", mid: str = "u1") -> dict:
    return {"id": mid, "timestamp": ts, "type": "user", "content": text}


def gemini(text: Any = "", ts: str = "2026-01-05T10:00:05Z", mid: str = "a1", **extra: Any) -> dict:
    return {"id": mid, "timestamp": ts, "type": "gemini", "content": text, **extra}


def tool(
    name: str,
    args: dict,
    output: Any = None,
    *,
    tid: str = "t1",
    error: str | None = None,
    status: str = "success",
) -> dict:
    call: dict[str, Any] = {
        "id": tid,
        "name": name,
        "args": args,
        "status": status,
        "displayName": name.title(),
    }
    if output is not None or error is not None:
        resp = {"error": error} if error is not None else {"output": output}
        call["result"] = [{"functionResponse": {"id": tid, "name": name, "response": resp}}]
    return call


def chat(messages: list, **extra: Any) -> dict:
    return {
        "sessionId": SID,
        "projectHash": HASH,
        "startTime": "2026-01-05T09:59:59Z",
        "lastUpdated": "2026-01-05T10:01:00Z",
        "messages": messages,
        **extra,
    }


def write(root: Path, doc: dict | bytes, *, project: str = HASH, name: str = "session-1.json") -> Path:
    path = root / "tmp" / project / "chats" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(doc if isinstance(doc, bytes) else orjson.dumps(doc))
    return path


def only(path: Path):
    sessions, problems = parse_gemini_file(path)
    assert problems == []
    assert len(sessions) == 1
    return sessions[0]


def test_session_fields_and_project_from_hash(tmp_path):
    (tmp_path / "projects.json").write_bytes(orjson.dumps({"projects": {CWD: "widget"}}))
    s = only(write(tmp_path, chat([user("Fix the\nbug"), gemini("Done.", model="gemini-2.5-pro")])))
    assert s.session_id == f"gemini:{SID}" and s.agent == "gemini"
    assert s.cwd == CWD and s.project == "widget"
    assert s.first_message == "Fix the bug"
    assert (s.created_at, s.started_at, s.ended_at) == ("2026-01-05T09:59:59Z",) * 2 + (
        "2026-01-05T10:01:00Z",
    )
    assert [(m.ordinal, m.role, m.model) for m in s.messages] == [
        (0, "user", None),
        (1, "assistant", "gemini-2.5-pro"),
    ]


def test_unknown_hash_and_short_name_projects(tmp_path):
    assert only(write(tmp_path, chat([user("hi")]))).project == ""
    s = only(write(tmp_path, chat([user("hi")]), project="widget"))
    assert s.project == "widget" and s.cwd is None
    (tmp_path / "trustedFolders.json").write_bytes(orjson.dumps({CWD: "TRUST_FOLDER"}))
    assert only(write(tmp_path, chat([user("hi")]), name="session-2.json")).cwd == CWD


def test_thoughts_content_tools_and_results(tmp_path):
    s = only(
        write(
            tmp_path,
            chat(
                [
                    user([{"text": "read it"}]),
                    gemini(
                        [{"text": "Reading."}],
                        thoughts=[
                            {"subject": "Plan", "description": "Read first", "timestamp": "x"},
                            {"description": ""},
                        ],
                        toolCalls=[
                            tool("read_file", {"file_path": "a.py"}, "print(1)"),
                            tool(
                                "run_shell_command",
                                {"command": "make"},
                                tid="t2",
                                error="boom",
                                status="error",
                            ),
                            tool("mcp__x__y", {"q": 1}, tid="t3", status="cancelled"),
                        ],
                        tokens={
                            "input": 1500,
                            "output": 200,
                            "cached": 100,
                            "thoughts": 50,
                            "tool": 0,
                            "total": 1850,
                        },
                    ),
                ]
            ),
        )
    )
    user_msg, m = s.messages
    assert user_msg.content == "read it"
    assert m.content == (
        "[Thinking]\nPlan\nRead first\n[/Thinking]\nReading.\n[Read: a.py]\n[Bash]\n$ make\n[Tool: Mcp__X__Y]"
    )
    assert m.has_thinking and m.has_tool_use
    assert [b["type"] for b in m.blocks] == ["thinking", "text", "tool_use", "tool_use", "tool_use"]
    calls = [
        (c.call_index, c.tool_name, c.category, c.tool_use_id, c.result_content, c.result_is_error)
        for c in m.tool_calls
    ]
    assert calls == [
        (0, "read_file", "read", "t1", "print(1)", False),
        (1, "run_shell_command", "bash", "t2", "boom", True),
        (2, "mcp__x__y", "mcp", "t3", None, True),
    ]
    assert orjson.loads(m.tool_calls[0].input_json) == {"file_path": "a.py"}
    u = m.usage
    assert (u.input_tokens, u.cache_read_tokens, u.output_tokens) == (1400, 100, 250)


def test_notices_skipped_and_notice_only_file_has_no_session(tmp_path):
    notices = [{"id": "i", "type": "info", "content": "hi"}, {"id": "e", "type": "error", "content": "x"}]
    assert parse_gemini_file(write(tmp_path, chat(notices))) == ([], [])
    s = only(write(tmp_path, chat([*notices, user("q"), gemini("a")]), name="s2.json"))
    assert [m.role for m in s.messages] == ["user", "assistant"]


def test_malformed_files_reported(tmp_path):
    bad = write(tmp_path, b'{"sessionId": "x", "messages": [', name="bad.json")
    sessions, problems = parse_gemini_file(bad)
    assert sessions == [] and [(p.line, p.reason) for p in problems] == [(None, "malformed JSON file")]
    no_id = write(tmp_path, orjson.dumps({"messages": [user("hi")]}), name="noid.json")
    assert [p.reason for p in parse_gemini_file(no_id)[1]] == ["missing sessionId"]
    s, problems = parse_gemini_file(write(tmp_path, chat([user("hi"), "junk"]), name="junk.json"))
    assert len(s[0].messages) == 1 and problems[0].reason == "message 1 is not a JSON object"
    assert parse_gemini_file(tmp_path / "missing.json")[1][0].reason.startswith("cannot read file")


def test_jsonl_chat_replaces_rewritten_records(tmp_path):
    lines = [
        orjson.dumps({"sessionId": SID, "startTime": "2026-01-05T10:00:00Z", "projectHash": HASH}),
        orjson.dumps(user("hi")),
        orjson.dumps(gemini("partial")),
        b"not json",
        orjson.dumps(gemini("complete answer")),
        b'{"id": "a2", "type": "gem',
    ]
    s, problems = parse_gemini_file(write(tmp_path, b"\n".join(lines), name="session-1.jsonl"))
    assert [(p.line, p.reason) for p in problems] == [(4, "malformed JSON line")]
    assert [m.content for m in s[0].messages] == ["hi", "complete answer"]


def test_discovery_and_default_dir(tmp_path, monkeypatch):
    write(tmp_path, chat([]), name="b.json")
    write(tmp_path, chat([]), project="other", name="a.jsonl")
    (tmp_path / "tmp" / HASH / "logs.json").write_text("[]")
    found = discover_gemini_files(tmp_path)
    assert sorted(p.name for p in found) == ["a.jsonl", "b.json"] and found == sorted(found)
    assert discover_gemini_files(tmp_path / "nope") == []
    monkeypatch.setenv("GEMINI_DIR", str(tmp_path))
    assert gemini_dir() == tmp_path
    monkeypatch.delenv("GEMINI_DIR")
    assert gemini_dir() == Path.home() / ".gemini"
