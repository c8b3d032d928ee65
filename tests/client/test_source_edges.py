"""The reading rules every source follows, checked on each one with files written here.

* An unreadable path (it vanished, it is a folder, permissions) is one problem naming it,
  never an exception; a database that is not one is one problem too.
* For JSONL sources: a malformed line in the middle is reported (once, with its line) and
  skipped; the cut-off last line of a log being written is skipped silently; a byte that is
  not UTF-8 becomes U+FFFD and the line is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from client.sources.registry import SOURCES, get_source

# Each JSONL source: (relative file path, a first line, a line whose text is WORD) giving a
# session whose messages include WORD.
WORD = "caf\u00e9 ready"
JSONL: dict[str, tuple[str, list[dict], Callable[[str], dict]]] = {
    "copilot": (
        "session-state/s1/events.jsonl",
        [{"type": "session.start", "data": {"sessionId": "s1"}, "timestamp": "2026-01-01T10:00:00Z"}],
        lambda w: {"type": "user.message", "data": {"content": w}, "timestamp": "2026-01-01T10:00:01Z"},
    ),
    "zencoder": (
        "s1.jsonl",
        [{"id": "s1"}],
        lambda w: {"role": "user", "content": [{"type": "text", "text": w}]},
    ),
    "iflow": (
        "p/session-s1.jsonl",
        [],
        lambda w: {
            "type": "user",
            "uuid": "u",
            "parentUuid": None,
            "sessionId": "session-s1",
            "timestamp": "2026-01-01T10:00:00Z",
            "message": {"role": "user", "content": w},
        },
    ),
    "pi": (
        "d/s1.jsonl",
        [{"type": "session", "id": "s1", "timestamp": "2026-01-01T10:00:00Z", "cwd": "/w"}],
        lambda w: {
            "type": "message",
            "timestamp": "2026-01-01T10:00:01Z",
            "message": {"role": "user", "content": w},
        },
    ),
    "openclaw": (
        "main/sessions/s1.jsonl",
        [{"type": "session", "id": "s1", "timestamp": "2026-01-01T10:00:00Z", "cwd": "/w"}],
        lambda w: {
            "type": "message",
            "timestamp": "2026-01-01T10:00:01Z",
            "message": {"role": "user", "content": w},
        },
    ),
    "qwen": (
        "-w/chats/s1.jsonl",
        [],
        lambda w: {
            "type": "user",
            "sessionId": "s1",
            "timestamp": "2026-01-01T10:00:00Z",
            "cwd": "/w",
            "message": {"role": "user", "parts": [{"text": w}]},
        },
    ),
    "cursor": (
        "Users-x-p/agent-transcripts/s1.jsonl",
        [],
        lambda w: {"role": "user", "message": {"content": w}},
    ),
    "kiro": (
        "s1.jsonl",
        [],
        lambda w: {"kind": "Prompt", "data": {"content": [{"kind": "text", "data": w}]}},
    ),
    "vscode-copilot": (
        "workspaceStorage/h/chatSessions/s1.jsonl",
        [{"kind": 0, "v": {"sessionId": "s1", "requests": []}}],
        lambda w: {
            "kind": 2,
            "k": ["requests"],
            "v": [{"requestId": "r", "message": {"text": w}, "response": []}],
        },
    ),
}


@pytest.mark.parametrize("name", sorted(JSONL))
def test_jsonl_edges(tmp_path: Path, name: str) -> None:
    source = get_source(name)
    rel, head, line = JSONL[name]
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [orjson.dumps(x) for x in [*head, line(WORD)]]
    good = len(rows)
    rows.insert(good, b'{"broken": ')  # a malformed line in the middle...
    rows.append(orjson.dumps(line("second")))
    data = b"\n".join(rows) + b"\n" + orjson.dumps(line("cut off"))[:-7]  # ...and a write in progress
    path.write_bytes(data.replace("\u00e9".encode(), b"\xe9"))  # a Latin-1 byte in a UTF-8 log
    assert source.discover(tmp_path) == [path]
    (session,), problems = source.parse(path)
    texts = "\n".join(m.content for m in session.messages)
    assert "caf\ufffd ready" in texts and "second" in texts and "cut off" not in texts
    assert [(p.line, p.reason) for p in problems] == [(good + 1, "malformed JSON line")]


@pytest.mark.parametrize("name", sorted(s.name for s in SOURCES if s.kind == "native"))
def test_an_unreadable_path_is_one_problem(tmp_path: Path, name: str) -> None:
    source = get_source(name)
    samples = {
        "opencode": "opencode.db", "kilo": "kilo.db", "goose": "sessions.db", "zed": "threads.db",
        "warp": "warp.sqlite", "windsurf": "state.vscdb", "kiro": "data.sqlite3", "aider": ".aider.chat.history.md",
        "openhands": "conv", "roocode": "ui_messages.json", "kilo-legacy": "ui_messages.json",
        "amp": "T-x.json", "gemini": "session-x.json",
    }  # fmt: skip
    gone = tmp_path / "vanished" / samples.get(name, "x.jsonl")
    sessions, problems = source.parse(gone)
    assert sessions == []
    if name == "openhands":  # a conversation folder without events is simply no session
        assert problems == []
        return
    assert len(problems) == 1 and problems[0].path == str(gone), problems


@pytest.mark.parametrize(
    "name,db",
    [
        ("opencode", "opencode.db"),
        ("goose", "sessions.db"),
        ("zed", "threads.db"),
        ("warp", "warp.sqlite"),
        ("windsurf", "state.vscdb"),
        ("kiro", "data.sqlite3"),
    ],
)
def test_a_file_that_is_no_database(tmp_path: Path, name: str, db: str) -> None:
    path = tmp_path / db
    path.write_bytes(b"not a database at all" * 50)
    sessions, problems = get_source(name).parse(path)
    assert sessions == [] and len(problems) == 1 and "not a readable SQLite database" in problems[0].reason
