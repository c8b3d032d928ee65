"""Pi and OpenClaw readers on logs written here: forks, results, usage spellings, edges."""

from __future__ import annotations

from pathlib import Path

import orjson

from client.sources.openclaw import parse_openclaw_file
from client.sources.pi import parse_pi_file


def write(path: Path, entries: list, tail: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\n".join(orjson.dumps(e) if isinstance(e, dict) else e for e in entries) + b"\n" + tail
    )
    return path


def header(sid: str, **extra) -> dict:
    return {
        "type": "session",
        "version": 3,
        "id": sid,
        "timestamp": "2026-01-01T10:00:00Z",
        "cwd": "/w/proj",
        **extra,
    }


def msg(role: str, content, **extra) -> dict:
    return {
        "type": "message",
        "timestamp": "2026-01-01T10:00:01Z",
        "message": {"role": role, "content": content, **extra},
    }


def test_a_fork_names_its_parent_by_the_parents_header(tmp_path: Path) -> None:
    folder = tmp_path / "sessions" / "--w-proj--"
    parent = write(folder / "2026-01-01T09-00-00-000Z_p-1.jsonl", [header("parent-id"), msg("user", "hi")])
    child = write(
        folder / "2026-01-01T10-00-00-000Z_c-1.jsonl",
        [header("c-1", branchedFrom=str(parent)), msg("user", "branch")],
    )
    (s,), _ = parse_pi_file(child)
    assert (s.parent_session_id, s.relationship) == ("pi:parent-id", "fork")
    gone = write(
        folder / "x.jsonl",
        [header("x", branchedFrom="/elsewhere/2025-01-01T00-00-00-000Z_lost-9.jsonl"), msg("user", "q")],
    )
    assert parse_pi_file(gone)[0][0].parent_session_id == "pi:lost-9"


def test_results_usage_spellings_and_edges(tmp_path: Path) -> None:
    path = write(
        tmp_path / "sessions" / "d" / "s.jsonl",
        [
            header("s"),
            msg("user", "run caf\u00e9"),
            msg(
                "assistant",
                [{"type": "toolCall", "id": "t1", "name": "bash", "arguments": {"command": "make"}}],
                usage={"input": 5, "output": 2, "cache": {"read": 7, "write": 1}},
            ),
            msg("toolResult", [{"type": "text", "text": "built"}], toolCallId="t1", isError=True),
            b"{broken",
            msg("assistant", [], usage={"input_tokens": 1, "output_tokens": 1}),
        ],
        tail=b'{"type":"message","mess',
    )
    path.write_bytes(path.read_bytes().replace("\u00e9".encode(), b"\xe9"))
    (s,), problems = parse_pi_file(path)
    assert [m.content for m in s.messages] == ["run caf\ufffd", "[Bash]\n$ make", "[empty response]"]
    call = s.messages[1].tool_calls[0]
    assert (call.result_content, call.result_is_error) == ("built", True)
    u = s.messages[1].usage
    assert (u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_creation_tokens) == (5, 2, 7, 1)
    assert [(p.line, p.reason) for p in problems] == [(5, "malformed JSON line")]


def test_openclaw_ids_carry_the_agent_and_archives_their_id(tmp_path: Path) -> None:
    path = write(
        tmp_path / "agents" / "ops" / "sessions" / "a1.jsonl.reset.2026-01-02T00-00-00.000Z",
        [{"type": "session", "timestamp": "2026-01-01T10:00:00Z"}, msg("user", "hello")],
    )
    (s,), _ = parse_openclaw_file(path)
    assert s.session_id == "openclaw:ops:a1"
