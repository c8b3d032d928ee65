"""VS Code Copilot Chat reader on operation logs and snapshots written here."""

from __future__ import annotations

from pathlib import Path

import orjson

from client.sources.vscode_copilot import SOURCE, parse_chat_session


def request(rid: str, text: str, answer: str, ts: int = 1_767_600_000_000, **extra) -> dict:
    return {
        "requestId": rid,
        "timestamp": ts,
        "message": {"text": text},
        "response": [{"value": answer}],
        **extra,
    }


def test_a_growing_operation_log_with_bad_lines(tmp_path: Path) -> None:
    ws = tmp_path / "workspaceStorage" / "h"
    (ws / "chatSessions").mkdir(parents=True)
    (ws / "workspace.json").write_bytes(orjson.dumps({"folder": "file:///C%3A/src/my%20app"}))
    lines = [
        orjson.dumps(
            {"kind": 0, "v": {"sessionId": "s1", "creationDate": 1_767_600_000_000, "requests": []}}
        ),
        orjson.dumps({"kind": 2, "k": ["requests"], "v": [request("r1", "caf\u00e9?", "yes")]}),
        b"{not json",
        orjson.dumps({"kind": 1, "k": ["requests", 5, "response"], "v": []}),  # no such request
        orjson.dumps({"kind": 1, "k": ["requests", 0, "response", 0], "v": {"value": "yes, done"}}),
    ]
    path = ws / "chatSessions" / "s1.jsonl"
    path.write_bytes(b"\n".join(lines).replace("\u00e9".encode(), b"\xe9") + b'\n{"kind":2,"k":["requ')
    (s,), problems = parse_chat_session(path)
    assert [m.content for m in s.messages] == ["caf\ufffd?", "yes, done"]
    assert [(p.line, p.reason.split(":")[0]) for p in problems] == [
        (3, "malformed JSON line"),
        (4, "operation not applied"),
    ]
    assert (s.cwd, s.project) == ("C:/src/my app", "my app")
    assert SOURCE.depends(path, [s]) == [ws / "workspace.json"]


def test_a_broken_snapshot_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(b'{"requests": [')
    assert [p.reason for p in parse_chat_session(path)[1]] == ["malformed chat session file"]
