"""Cursor reader on transcripts written here: workspace decoding, text format, edge cases."""

from __future__ import annotations

from pathlib import Path

import orjson

from client.sources.cursor import SOURCE, discover_cursor_files, parse_cursor_file
from client.sources.encoded_dirs import decode_workspace


def write(root: Path, workspace: str, name: str, data: bytes) -> Path:
    path = root / workspace / "agent-transcripts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def jl(*lines: dict) -> bytes:
    return b"\n".join(orjson.dumps(x) for x in lines) + b"\n"


def test_the_workspace_folder_resolves_to_the_one_existing_directory(tmp_path: Path) -> None:
    real = tmp_path / "work" / "my-app.v2"
    real.mkdir(parents=True)
    encoded = str(real).lstrip("/").replace("/", "-").replace(".", "-")
    decode_workspace.cache_clear()
    assert decode_workspace(encoded) == str(real)
    path = write(
        tmp_path / "projects", encoded, "s1.jsonl", jl({"role": "user", "message": {"content": "hi"}})
    )
    (s,), _ = parse_cursor_file(path)
    assert (s.cwd, s.project) == (str(real), "my-app.v2")
    assert decode_workspace("Users-nobody-Documents-gone") is None


def test_text_transcript_with_tools_results_and_thinking(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "user:",
            "<user_query>list the files</user_query>",
            "assistant:",
            "[Thinking]",
            "  which folder?",
            "[Tool call] Shell",
            "  command=ls -la",
            "  cwd=/tmp",
            "[Tool result]",
            "  a.txt",
            "  b.txt",
            "Two files.",
        ]
    )
    path = write(tmp_path, "Users-x-proj", "t1.txt", text.encode())
    (s,), problems = parse_cursor_file(path)
    assert problems == []
    reply = s.messages[1]
    assert reply.content == "[Thinking]\nwhich folder?\n[/Thinking]\n[Bash]\n$ ls -la\nTwo files."
    (call,) = reply.tool_calls
    assert (call.input_json, call.result_content) == ('{"command":"ls -la","cwd":"/tmp"}', "a.txt\nb.txt")


def test_edges_bad_line_partial_last_line_bad_bytes_symlink(tmp_path: Path) -> None:
    data = jl({"role": "user", "message": {"content": "caf\u00e9"}}) + b"{oops\n"
    data += jl({"role": "assistant", "message": {"content": "ok"}}) + b'{"role":"assistant","message":'
    path = write(tmp_path, "Users-x-proj", "e1.jsonl", data.replace("\u00e9".encode(), b"\xe9"))
    (s,), problems = parse_cursor_file(path)
    assert [m.content for m in s.messages] == ["caf\ufffd", "ok"]
    assert [(p.line, p.reason) for p in problems] == [(2, "malformed JSON line")]
    (path.parent / "link.jsonl").symlink_to(path)
    assert discover_cursor_files(tmp_path) == [path]
    gone = parse_cursor_file(path.parent / "absent.jsonl")
    assert gone[0] == [] and "cannot read" in gone[1][0].reason
    assert SOURCE.env_var == "CURSOR_PROJECTS_DIR"
