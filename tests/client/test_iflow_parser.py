"""iFlow reader on logs written here: bursts, forks, noise, edge cases."""

from __future__ import annotations

from pathlib import Path

import orjson

from client.sources.iflow import parse_iflow_file


def line(
    kind: str, ts: str, content, *, uuid: str, parent: str | None, sid: str = "session-abc", **extra
) -> dict:
    msg = {"role": kind, "content": content}
    if kind == "assistant":
        msg.update(model="glm-4.7", usage={"input_tokens": 0, "output_tokens": 0})
    return {
        "uuid": uuid,
        "parentUuid": parent,
        "sessionId": sid,
        "timestamp": ts,
        "type": kind,
        "message": msg,
        "cwd": "/home/demo/projects/widget",
        "gitBranch": "main",
        **extra,
    }


def write(tmp_path: Path, lines: list, name: str = "session-abc.jsonl", tail: bytes = b"") -> Path:
    path = tmp_path / "projects" / "p" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(orjson.dumps(x) if isinstance(x, dict) else x for x in lines) + b"\n" + tail)
    return path


def use(cid: str) -> dict:
    return {"type": "tool_use", "id": cid, "name": "run_shell_command", "input": {"command": f"echo {cid}"}}


def test_bursts_merge_and_repeated_calls_are_kept_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            line("user", "2026-01-01T10:00:00.000Z", "go", uuid="u1", parent=None),
            line(
                "assistant",
                "2026-01-01T10:00:01.000Z",
                [{"type": "text", "text": "ok"}, use("a")],
                uuid="a1",
                parent="u1",
            ),
            line("assistant", "2026-01-01T10:00:01.300Z", [use("a"), use("b")], uuid="a2", parent="u1"),
            line(
                "user",
                "2026-01-01T10:00:02.000Z",
                [{"type": "tool_result", "tool_use_id": "a", "content": "A"}],
                uuid="r1",
                parent="a2",
                toolUseResult={"status": "error"},
            ),
            line(
                "assistant",
                "2026-01-01T10:00:05.000Z",
                [use("b"), {"type": "text", "text": "done"}],
                uuid="a3",
                parent="u1",
            ),
            line("user", "2026-01-01T10:00:06.000Z", "[Request interrupted by user]", uuid="u2", parent="a3"),
            line("user", "2026-01-01T10:00:07.000Z", "meta", uuid="u3", parent="a3", isMeta=True),
        ],
        tail=b'{"uuid":"x","type":"assistant"',
    )
    (s,), problems = parse_iflow_file(path)
    assert problems == []
    assert [m.content for m in s.messages] == ["go", "ok\n[Bash]\n$ echo a\n[Bash]\n$ echo b", "done"]
    a, b = s.messages[1].tool_calls
    assert (a.result_content, a.result_is_error, b.result_content) == ("A", True, None)
    assert s.messages[1].usage is None  # iFlow's zeros are not usage


def test_a_file_of_another_session_is_a_fork_of_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [line("user", "2026-01-01T10:00:00Z", "hi", uuid="u", parent=None, sid="session-base")],
        name="session-abc-def.jsonl",
    )
    (s,), _ = parse_iflow_file(path)
    assert (s.session_id, s.parent_session_id, s.relationship) == ("iflow:abc-def", "iflow:base", "fork")
