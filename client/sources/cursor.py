"""Cursor (``cursor``): agent transcripts under ``~/.cursor/projects/<workspace>/agent-transcripts``.

Layout: ``<id>.jsonl`` / ``<id>.txt`` flat, or ``<id>/<id>.jsonl|.txt``
nested; ``.jsonl`` wins over ``.txt`` for one id; ``subagents/`` and nested
files not named after their folder are ignored, and so are symlinks (a
transcript is never read through a link). ``<workspace>`` is the workspace
path with ``/`` and ``.`` turned into ``-``: the cwd when it resolves to one
existing folder here, else only a project name (:mod:`encoded_dirs`).

The format is recognised by content: JSONL when the first non-blank line is
JSON, else the older plain text.

* JSONL: ``{role, message: {content}}``, content a string or Anthropic-style
  blocks (``text``, ``thinking``, ``tool_use`` with ``input`` or
  ``parameters``; ``tool_result`` blocks pair by ``tool_use_id``). User text
  is the inside of ``<user_query>`` when present. Other roles are skipped.
* Text: a line ``user:`` or ``assistant:`` starts a message. In an assistant
  block, ``[Thinking]``, ``[Tool call] <Name>`` and ``[Tool result]`` at the
  left margin open a sub-block of indented lines; any other line at the left
  margin is prose. A call's body is JSON, ``key=value`` lines, or a raw patch
  (``ApplyPatch``); a result belongs to the latest call without one.
* No timestamps, model, usage or links exist in either form: start and end are
  the file's modification time.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, Session, ToolCall
from client.sources.base import Source
from client.sources.paths import anywhere

from . import decoding
from .encoded_dirs import workspace_of
from .records import jsonl_records, string
from .turns import SessionInfo, Turn, result_text, session

_USER_QUERY = ("<user_query>", "</user_query>")
_MARKERS = ("[Thinking]", "[Tool call] ", "[Tool result]")


def _transcripts(folder: Path) -> list[Path]:
    """One file per id in an ``agent-transcripts`` folder (``.jsonl`` over ``.txt``)."""
    by_id: dict[str, Path] = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir() and entry.name != "subagents":
            for ext in (".jsonl", ".txt"):
                nested = entry / f"{entry.name}{ext}"
                if nested.is_file() and not nested.is_symlink():
                    by_id.setdefault(entry.name, nested)
                    break
        elif entry.suffix in (".jsonl", ".txt") and entry.is_file():
            if entry.stem not in by_id or entry.suffix == ".jsonl":
                by_id[entry.stem] = entry
    return [by_id[k] for k in sorted(by_id)]


def discover_cursor_files(root: Path) -> list[Path]:
    found: list[Path] = []
    try:
        workspaces = sorted(p for p in Path(root).iterdir() if p.is_dir())
    except OSError:
        return []
    for ws in workspaces:
        found += _transcripts(ws / "agent-transcripts")
    return found


def _workspace(path: Path) -> str:
    at = path.parent if path.parent.name == "agent-transcripts" else path.parent.parent
    return at.parent.name


def _is_jsonl(data: bytes) -> bool:
    """JSONL when the first non-blank line (found within 4 KB) is JSON."""
    offset = 0
    for raw in data[:4096].split(b"\n"):
        if raw.strip():
            stop = data.find(b"\n", offset)
            try:
                with decoding.counting():  # a probe: the parse that follows counts its repairs
                    decoding.loads(data[offset : stop if stop >= 0 else len(data)])
            except decoding.NotJSON:
                return False
            return True
        offset += len(raw) + 1
    return False


def _user_query(text: str) -> str:
    start, end = text.find(_USER_QUERY[0]), text.find(_USER_QUERY[1])
    if start >= 0 and end > start:
        return text[start + len(_USER_QUERY[0]) : end].strip()
    return text.strip()


def parse_cursor_file(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    spath = str(path)
    problems: list[ParseProblem] = []
    try:
        with open(spath, "rb") as fh:
            data = fh.read()
        mtime = os.stat(spath).st_mtime
    except OSError as exc:
        return [], [ParseProblem(spath, None, f"cannot read file: {exc.strerror or exc}")]
    messages = _jsonl_messages(data, spath, problems) if _is_jsonl(data) else _text_messages(data)
    when = datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    cwd, project = workspace_of(_workspace(path))
    info = SessionInfo(
        session_id=f"cursor:{path.stem}",
        agent="cursor",
        source_path=spath,
        cwd=cwd,
        project=project,
        started_at=when,
        ended_at=when,
    )
    built = session(info, messages)
    return ([built] if built else []), problems


# -- JSONL ---------------------------------------------------------------------------------


def _jsonl_messages(data: bytes, spath: str, problems: list[ParseProblem]) -> list[Message | None]:
    out: list[Message | None] = []
    calls: dict[str, ToolCall] = {}
    for _, rec in jsonl_records(data, spath, problems):
        role = rec.get("role")
        msg = rec.get("message")
        content = msg.get("content") if type(msg) is dict else None
        if role not in ("user", "assistant") or content is None:
            continue
        t = Turn(role)
        if type(content) is str:
            t.text(_user_query(content) if role == "user" else content)
        elif type(content) is list:
            for block in content:
                _block(t, block, role, calls)
        out.append(t.message())
    return out


def _block(t: Turn, block: Any, role: str, calls: dict[str, ToolCall]) -> None:
    if type(block) is not dict:
        return
    kind = block.get("type")
    if kind == "text":
        text = string(block, "text")
        t.text(_user_query(text) if role == "user" else text)
    elif kind == "thinking":
        t.thinking(string(block, "thinking", "text"))
    elif kind == "tool_use":
        name = string(block, "name")
        if name:
            args = block.get("input") if "input" in block else block.get("parameters")
            call = t.tool(name, string(block, "id"), args)
            if call.tool_use_id:
                calls[call.tool_use_id] = call
    elif kind == "tool_result":
        paired = calls.get(string(block, "tool_use_id"))
        if paired is not None:
            paired.result_content = result_text(block.get("content"))
            paired.result_is_error = block.get("is_error") is True


# -- plain text ----------------------------------------------------------------------------


def _text_messages(data: bytes) -> list[Message | None]:
    text = decoding.text(data).replace("\r\n", "\n")
    out: list[Message | None] = []
    role: str | None = None
    lines: list[str] = []
    for line in [*text.split("\n"), "user:"]:  # a sentinel flushes the last block
        if line.strip() in ("user:", "assistant:") and line == line.lstrip():
            if role == "user":
                t = Turn("user")
                t.text(_user_query("\n".join(lines)))
                out.append(t.message())
            elif role == "assistant":
                out.append(_assistant_block(lines))
            role, lines = line.strip()[:-1], []
        elif role is not None:
            lines.append(line)
    return out


def _body_end(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(_MARKERS) or (bool(stripped) and line[0] not in " \t")


def _dedent(lines: list[str]) -> str:
    indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(line[cut:] if len(line) >= cut else line.lstrip() for line in lines).strip()


def _tool_args(name: str, body: str) -> Any:
    if not body:
        return None
    try:
        return decoding.loads(body)
    except decoding.NotJSON:
        pass
    if name.lower() == "applypatch" and ("*** Begin Patch" in body or body.startswith("@@")):
        return {"patch": body}
    params = {}
    for line in body.splitlines():
        if line.strip():
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                return body  # not key=value: keep the text as it is
            params[key.strip()] = value.strip()
    return params or None


def _assistant_block(lines: list[str]) -> Message | None:
    t = Turn("assistant")
    prose: list[str] = []
    pending: list[ToolCall] = []
    i = 0

    def flush_prose() -> None:
        if prose:
            t.text("\n".join(prose).strip())
            prose.clear()

    while i < len(lines):
        stripped = lines[i].strip()
        marker = next(
            (m for m in _MARKERS if stripped.startswith(m.rstrip()) and lines[i][0] not in " \t"), None
        )
        if marker is None:
            prose.append(lines[i])
            i += 1
            continue
        flush_prose()
        header = stripped
        i += 1
        start = i
        while i < len(lines) and not _body_end(lines[i]):
            i += 1
        body = _dedent(lines[start:i])
        if marker == "[Thinking]":
            t.thinking(body)
        elif marker == "[Tool call] ":
            name = header[len("[Tool call]") :].strip() or "tool"
            pending.append(t.tool(name, "", _tool_args(name, body)))
        else:
            target = next((c for c in pending if c.result_content is None), None)
            if target is not None:
                target.result_content = body
    flush_prose()
    return t.message()


SOURCE = Source(
    name="cursor",
    label="Cursor",
    env_var="CURSOR_PROJECTS_DIR",
    locations=(anywhere(".cursor/projects"),),
    discover=discover_cursor_files,
    parse=parse_cursor_file,
)
