"""Sized synthetic stores for every agent source, for bench/client_parse.py.

``write(agent, root, sessions=…, turns=…)`` lays out ``sessions`` sessions of
``turns`` turns each (a prompt, a reply with one tool call, its result) in that
agent's own format under ``root``, which then stands for the agent's data
folder. Text sizes follow real logs (``client_parse._sized_text``). The point
is the parse's speed per byte against bare decoding of the same data, not the
formats' corner cases (those are in the conformance suites and tests/client).
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

Text = Callable[[], str]
T0 = 1_767_600_000_000


def _ts(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _jsonl(path: Path, rows: list[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")


def _json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(doc))


def copilot(root: Path, s: int, turns: int, text: Text) -> None:
    rows: list[Any] = [
        {
            "type": "session.start",
            "data": {"sessionId": f"s{s}", "context": {"cwd": "/w/p"}},
            "timestamp": _ts(T0),
        }
    ]
    for t in range(turns):
        ts = _ts(T0 + t * 1000)
        rows += [
            {"type": "user.message", "data": {"content": text()}, "timestamp": ts},
            {
                "type": "assistant.message",
                "data": {
                    "content": text(),
                    "toolRequests": [
                        {
                            "toolCallId": f"c{t}",
                            "name": "bash",
                            "arguments": orjson.dumps({"command": "make"}).decode(),
                        }
                    ],
                },
                "timestamp": ts,
            },
            {
                "type": "tool.execution_complete",
                "data": {"toolCallId": f"c{t}", "success": True, "result": text()},
                "timestamp": ts,
            },
        ]
    _jsonl(root / "session-state" / f"s{s}" / "events.jsonl", rows)


def zencoder(root: Path, s: int, turns: int, text: Text) -> None:
    rows: list[Any] = [{"id": f"s{s}", "createdAt": _ts(T0)}]
    for t in range(turns):
        rows += [
            {"role": "user", "content": [{"type": "text", "text": text()}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": text()},
                    {
                        "type": "tool-call",
                        "toolCallId": f"c{t}",
                        "toolName": "Bash",
                        "input": {"command": "ls"},
                    },
                ],
            },
            {
                "role": "tool",
                "content": [
                    {
                        "type": "tool-result",
                        "toolCallId": f"c{t}",
                        "content": [{"type": "text", "text": text()}],
                    }
                ],
            },
        ]
    _jsonl(root / f"s{s}.jsonl", rows)


def iflow(root: Path, s: int, turns: int, text: Text) -> None:
    rows: list[Any] = []
    for t in range(turns):
        ts = _ts(T0 + t * 5000)
        base = {"sessionId": f"session-s{s}", "timestamp": ts, "cwd": "/w/p"}
        rows += [
            {
                **base,
                "type": "user",
                "uuid": f"u{t}",
                "parentUuid": None,
                "message": {"role": "user", "content": text()},
            },
            {
                **base,
                "type": "assistant",
                "uuid": f"a{t}",
                "parentUuid": f"u{t}",
                "message": {
                    "role": "assistant",
                    "model": "glm",
                    "content": [
                        {"type": "text", "text": text()},
                        {"type": "tool_use", "id": f"c{t}", "name": "read_file", "input": {"path": "a"}},
                    ],
                },
            },
            {
                **base,
                "type": "user",
                "uuid": f"r{t}",
                "parentUuid": f"a{t}",
                "message": {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": f"c{t}", "content": text()}],
                },
            },
        ]
    _jsonl(root / "p" / f"session-s{s}.jsonl", rows)


def _pi_rows(s: int, turns: int, text: Text) -> list[Any]:
    rows: list[Any] = [{"type": "session", "version": 3, "id": f"s{s}", "timestamp": _ts(T0), "cwd": "/w/p"}]
    for t in range(turns):
        ts = _ts(T0 + t * 1000)
        rows += [
            {"type": "message", "timestamp": ts, "message": {"role": "user", "content": text()}},
            {
                "type": "message",
                "timestamp": ts,
                "message": {
                    "role": "assistant",
                    "model": "m",
                    "usage": {"input": 10, "output": 5},
                    "content": [
                        {"type": "text", "text": text()},
                        {"type": "toolCall", "id": f"c{t}", "name": "bash", "arguments": {"command": "ls"}},
                    ],
                },
            },
            {
                "type": "message",
                "timestamp": ts,
                "message": {"role": "toolResult", "toolCallId": f"c{t}", "content": text()},
            },
        ]
    return rows


def pi(root: Path, s: int, turns: int, text: Text) -> None:
    _jsonl(root / "d" / f"s{s}.jsonl", _pi_rows(s, turns, text))


def openclaw(root: Path, s: int, turns: int, text: Text) -> None:
    _jsonl(root / "main" / "sessions" / f"s{s}.jsonl", _pi_rows(s, turns, text))


def qwen(root: Path, s: int, turns: int, text: Text) -> None:
    rows: list[Any] = []
    for t in range(turns):
        base = {"sessionId": f"s{s}", "timestamp": _ts(T0 + t * 1000), "cwd": "/w/p"}
        rows += [
            {**base, "type": "user", "message": {"role": "user", "parts": [{"text": text()}]}},
            {
                **base,
                "type": "assistant",
                "model": "qwen",
                "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 5},
                "message": {
                    "role": "model",
                    "parts": [
                        {"text": text()},
                        {"functionCall": {"id": f"c{t}", "name": "read_file", "args": {}}},
                    ],
                },
            },
            {
                **base,
                "type": "user",
                "message": {
                    "role": "user",
                    "parts": [
                        {
                            "functionResponse": {
                                "id": f"c{t}",
                                "name": "read_file",
                                "response": {"output": text()},
                            }
                        }
                    ],
                },
            },
        ]
    _jsonl(root / "-w-p" / "chats" / f"s{s}.jsonl", rows)


def cursor(root: Path, s: int, turns: int, text: Text) -> None:
    rows: list[Any] = []
    for t in range(turns):
        rows += [
            {"role": "user", "message": {"content": f"<user_query>{text()}</user_query>"}},
            {
                "role": "assistant",
                "message": {
                    "content": [
                        {"type": "text", "text": text()},
                        {"type": "tool_use", "id": f"c{t}", "name": "Shell", "input": {"command": "ls"}},
                    ]
                },
            },
        ]
    _jsonl(root / "Users-x-p" / "agent-transcripts" / f"s{s}.jsonl", rows)


def kiro(root: Path, s: int, turns: int, text: Text) -> None:
    rows: list[Any] = []
    for t in range(turns):
        rows += [
            {"kind": "Prompt", "data": {"content": [{"kind": "text", "data": text()}]}},
            {
                "kind": "AssistantMessage",
                "data": {
                    "content": [
                        {"kind": "text", "data": text()},
                        {"kind": "toolUse", "data": {"toolUseId": f"c{t}", "name": "fs_read", "input": {}}},
                    ]
                },
            },
            {
                "kind": "ToolResults",
                "data": {
                    "content": [{"kind": "toolResult", "data": {"toolUseId": f"c{t}", "content": text()}}]
                },
            },
        ]
    _jsonl(root / f"s{s}.jsonl", rows)


def vscode_copilot(root: Path, s: int, turns: int, text: Text) -> None:
    requests = [
        {
            "requestId": f"r{t}",
            "timestamp": T0 + t,
            "message": {"text": text()},
            "modelId": "copilot/gpt-5",
            "response": [
                {"value": text()},
                {"kind": "toolInvocationSerialized", "toolId": "copilot_readFile", "toolCallId": f"c{t}"},
            ],
            "result": {"metadata": {"promptTokens": 100, "outputTokens": 10}},
        }
        for t in range(turns)
    ]
    _json(
        root / "workspaceStorage" / "h" / "chatSessions" / f"s{s}.json",
        {"sessionId": f"s{s}", "requests": requests},
    )


def amp(root: Path, s: int, turns: int, text: Text) -> None:
    messages: list[Any] = []
    for t in range(turns):
        messages += [
            {"role": "user", "content": [{"type": "text", "text": text()}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": text()},
                    {"type": "tool_use", "id": f"c{t}", "name": "Bash", "input": {}},
                ],
                "usage": {"model": "claude", "inputTokens": 10, "outputTokens": 5},
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "toolUseID": f"c{t}", "run": {"status": "done", "result": text()}}
                ],
            },
        ]
    _json(root / f"T-s{s}.json", {"id": f"T-s{s}", "created": T0, "messages": messages})


def _ui(turns: int, text: Text) -> list[Any]:
    rows: list[Any] = [{"ts": T0, "type": "say", "say": "text", "text": text()}]
    for t in range(turns):
        rows += [
            {"ts": T0 + t, "type": "say", "say": "text", "text": text()},
            {"ts": T0 + t, "type": "ask", "ask": "command", "text": "make"},
            {"ts": T0 + t, "type": "say", "say": "command_output", "text": text()},
            {"ts": T0 + t, "type": "say", "say": "user_feedback", "text": text()},
        ]
    return rows


def roocode(root: Path, s: int, turns: int, text: Text) -> None:
    _json(root / "tasks" / f"s{s}" / "ui_messages.json", _ui(turns, text))
    _json(
        root / "tasks" / f"s{s}" / "history_item.json",
        {"id": f"s{s}", "tokensIn": 10, "tokensOut": 5, "workspace": "/w/p"},
    )


def kilo_legacy(root: Path, s: int, turns: int, text: Text) -> None:
    _json(root / "tasks" / f"s{s}" / "ui_messages.json", _ui(turns, text))


def aider(root: Path, s: int, turns: int, text: Text) -> None:
    parts = [f"# aider chat started at 2026-01-0{1 + s % 9} 10:00:{s % 60:02d}\n"]
    for _ in range(turns):
        parts.append(
            f"#### {text().splitlines()[0] if text().strip() else 'go'}\n{text()}\n> Applied edit to a.py\n"
        )
    path = root / f"repo{s}" / ".aider.chat.history.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(parts))


def openhands(root: Path, s: int, turns: int, text: Text) -> None:
    conv = root / f"{s:032x}"
    _json(conv / "base_state.json", {"id": f"s{s}", "agent": {"llm": {"model": "m"}}})
    n = 0
    for t in range(turns):
        for event in (
            {
                "timestamp": "2026-01-01T10:00:00",
                "source": "user",
                "kind": "MessageEvent",
                "llm_message": {"role": "user", "content": [{"type": "text", "text": text()}]},
            },
            {
                "timestamp": "2026-01-01T10:00:01",
                "source": "agent",
                "kind": "ActionEvent",
                "tool_name": "terminal",
                "tool_call_id": f"c{t}",
                "tool_call": {"arguments": "{}"},
                "thought": [{"type": "text", "text": text()}],
            },
            {
                "timestamp": "2026-01-01T10:00:02",
                "source": "environment",
                "kind": "ObservationEvent",
                "tool_call_id": f"c{t}",
                "observation": {"content": [{"type": "text", "text": text()}]},
            },
        ):
            _json(conv / "events" / f"event-{n:05d}-x.json", event)
            n += 1


def _db(path: Path, schema: str) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.executescript(schema)
    con.execute("BEGIN")
    return con


def opencode(root: Path, sessions: int, turns: int, text: Text, *, database: str = "opencode.db") -> None:
    from tests.client.opencode_db import SCHEMA

    con = _db(root / database, SCHEMA)
    con.execute("INSERT INTO project VALUES ('prj', '/w/p', 0, 0)")
    n = 0
    for s in range(sessions):
        con.execute("INSERT INTO session VALUES (?, 'prj', NULL, 'x', '/w/p', ?, ?)", (f"s{s}", T0, T0))
        for t in range(turns):
            for role, parts in (
                ("user", [{"type": "text", "text": text()}]),
                (
                    "assistant",
                    [
                        {"type": "text", "text": text()},
                        {
                            "type": "tool",
                            "tool": "bash",
                            "callID": f"c{t}",
                            "state": {"input": {"command": "ls"}, "output": text()},
                        },
                        {"type": "step-finish", "tokens": {"input": 10, "output": 5}},
                    ],
                ),
            ):
                n += 1
                con.execute(
                    "INSERT INTO message VALUES (?, ?, ?, ?, ?)",
                    (f"m{n}", f"s{s}", T0 + n, T0 + n, orjson.dumps({"role": role}).decode()),
                )
                for i, p in enumerate(parts):
                    con.execute(
                        "INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)",
                        (f"p{n}_{i}", f"m{n}", f"s{s}", T0 + n, T0 + n, orjson.dumps(p).decode()),
                    )
    con.execute("COMMIT")
    con.close()


def kilo(root: Path, sessions: int, turns: int, text: Text) -> None:
    opencode(root, sessions, turns, text, database="kilo.db")


def goose(root: Path, sessions: int, turns: int, text: Text) -> None:
    from tests.client.test_goose_parser import SCHEMA

    con = _db(root / "sessions" / "sessions.db", SCHEMA)
    for s in range(sessions):
        con.execute(
            "INSERT INTO sessions VALUES (?, 'x', '', 'user', '/w/p', '2026-01-01 10:00:00', '2026-01-01 10:00:00', NULL, NULL)",
            (f"s{s}",),
        )
        for t in range(turns):
            for role, blocks in (
                ("user", [{"type": "text", "text": text()}]),
                (
                    "assistant",
                    [
                        {"type": "text", "text": text()},
                        {
                            "type": "toolRequest",
                            "id": f"c{t}",
                            "toolCall": {"value": {"name": "shell", "arguments": {}}},
                        },
                    ],
                ),
                (
                    "user",
                    [
                        {
                            "type": "toolResponse",
                            "id": f"c{t}",
                            "toolResult": {
                                "status": "success",
                                "value": {"content": [{"type": "text", "text": text()}]},
                            },
                        }
                    ],
                ),
            ):
                con.execute(
                    "INSERT INTO messages (session_id, role, content_json, created_timestamp, metadata_json) VALUES (?,?,?,?,?)",
                    (f"s{s}", role, orjson.dumps(blocks).decode(), 1_767_600_000 + t, '{"userVisible":true}'),
                )
    con.execute("COMMIT")
    con.close()


def zed(root: Path, sessions: int, turns: int, text: Text) -> None:
    con = _db(
        root / "threads" / "threads.db",
        "CREATE TABLE threads (id TEXT PRIMARY KEY, summary TEXT, updated_at TEXT, data_type TEXT, data BLOB, parent_id TEXT, folder_paths TEXT, created_at TEXT);",
    )
    for s in range(sessions):
        messages: list[Any] = []
        for t in range(turns):
            messages += [
                {"User": {"content": [{"Text": text()}]}},
                {
                    "Agent": {
                        "content": [
                            {"Text": text()},
                            {"ToolUse": {"id": f"c{t}", "name": "terminal", "input": {}}},
                        ],
                        "tool_results": {f"c{t}": {"output": text()}},
                    }
                },
            ]
        con.execute(
            "INSERT INTO threads VALUES (?, 'x', '2026-01-01T10:00:00Z', 'json', ?, NULL, '/w/p', '2026-01-01T10:00:00Z')",
            (f"s{s}", orjson.dumps({"messages": messages})),
        )
    con.execute("COMMIT")
    con.close()


def warp(root: Path, sessions: int, turns: int, text: Text) -> None:
    con = _db(
        root / "warp.sqlite",
        "CREATE TABLE agent_conversations (id INTEGER PRIMARY KEY, conversation_id TEXT, conversation_data TEXT); CREATE TABLE ai_queries (id INTEGER PRIMARY KEY, exchange_id TEXT, conversation_id TEXT, start_ts DATETIME, input TEXT, working_directory TEXT, model_id TEXT);",
    )
    for s in range(sessions):
        con.execute(
            "INSERT INTO agent_conversations (conversation_id, conversation_data) VALUES (?, '{}')",
            (f"s{s}",),
        )
        for t in range(turns):
            con.execute(
                "INSERT INTO ai_queries (exchange_id, conversation_id, start_ts, input, working_directory, model_id) VALUES (?,?,?,?,?,?)",
                (
                    f"e{s}_{t}",
                    f"s{s}",
                    "2026-01-01 10:00:00",
                    orjson.dumps([{"Query": {"text": text()}}]).decode(),
                    "/w/p",
                    "auto",
                ),
            )
    con.execute("COMMIT")
    con.close()


def kiro_db(root: Path, sessions: int, turns: int, text: Text) -> None:
    con = _db(
        root / "data.sqlite3",
        "CREATE TABLE conversations_v2 (key TEXT, conversation_id TEXT, value TEXT, created_at INTEGER, updated_at INTEGER, PRIMARY KEY (key, conversation_id));",
    )
    for s in range(sessions):
        history = [
            {
                "user": {"content": {"Prompt": {"prompt": text()}}, "timestamp": "2026-01-01T10:00:00Z"},
                "assistant": {"Response": {"message_id": f"m{t}", "content": text()}},
            }
            for t in range(turns)
        ]
        con.execute(
            "INSERT INTO conversations_v2 VALUES ('/w/p', ?, ?, 1, 2)",
            (f"s{s}", orjson.dumps({"history": history}).decode()),
        )
    con.execute("COMMIT")
    con.close()


def windsurf(root: Path, sessions: int, turns: int, text: Text) -> None:
    for s in range(sessions):
        con = _db(
            root / "workspaceStorage" / f"w{s}" / "state.vscdb",
            "CREATE TABLE ItemTable (key TEXT PRIMARY KEY, value TEXT);",
        )
        bubbles = [{"type": kind, "text": text()} for _ in range(turns) for kind in ("user", "assistant")]
        doc = {"tabs": [{"tabId": f"t{s}", "chatTitle": "x", "bubbles": bubbles}]}
        con.execute(
            "INSERT INTO ItemTable VALUES ('workbench.panel.aichat.view.aichat.chatdata', ?)",
            (orjson.dumps(doc).decode(),),
        )
        con.execute("COMMIT")
        con.close()


PER_SESSION = {
    "copilot": copilot, "zencoder": zencoder, "iflow": iflow, "pi": pi, "openclaw": openclaw, "qwen": qwen,
    "cursor": cursor, "kiro": kiro, "vscode-copilot": vscode_copilot, "amp": amp, "roocode": roocode,
    "kilo-legacy": kilo_legacy, "aider": aider, "openhands": openhands,
}  # fmt: skip
WHOLE_STORE = {
    "opencode": opencode,
    "kilo": kilo,
    "goose": goose,
    "zed": zed,
    "warp": warp,
    "windsurf": windsurf,
}
DATABASE_OF = {"kiro": kiro_db}  # kiro's current store, benchmarked apart from its legacy logs


def write(agent: str, root: Path, *, sessions: int, turns: int, seed: int = 7) -> None:
    from bench.client_parse import _sized_text

    rng = random.Random(seed)

    def text() -> str:
        return _sized_text(rng)

    if agent in PER_SESSION:
        for s in range(sessions):
            PER_SESSION[agent](root, s, turns, text)
    else:
        WHOLE_STORE[agent](root, sessions, turns, text)
