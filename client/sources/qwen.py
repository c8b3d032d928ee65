"""Qwen Code (``qwen``): ``~/.qwen/projects/<encoded-project>/chats/<sessionId>.jsonl``.

A Gemini CLI derivative; lines ``{uuid, parentUuid, sessionId, timestamp,
type, cwd, message, model, usageMetadata}`` with ``type`` user, assistant or
system.

* Session id: the first ``sessionId``, else the file name. Cwd: the first
  ``cwd`` (else the folder name gives the project). Start/end: every line.
* User lines: ``message.parts[].text``; a line whose parts are only
  ``functionResponse`` (``id``, ``name``, ``response.output``/``error``) is a tool
  result, not a prompt.
* Assistant lines (``message.role`` ``model``): ``text`` parts, ``thought: true``
  text (thinking) and ``functionCall`` (``id``, ``name``, ``args``). Qwen writes
  each model call of one turn on its own line, with the tool results between
  them; one turn (up to the next prompt) is one assistant message.
* Usage is per model call (each line's ``usageMetadata``), summed into the
  turn's message so every call counts once: ``promptTokenCount`` includes the
  cached part, so input = prompt - cached, cache read = cached, output =
  candidates + thoughts (as for Gemini CLI).
* ``system`` lines (``ui_telemetry``) are telemetry, not transcript.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, Session, ToolCall, Usage
from client.sources.base import Source
from client.sources.paths import anywhere

from .encoded_dirs import workspace_of
from .records import iso, number, obj, read_jsonl, string
from .turns import SessionInfo, Turn, result_text, session


def discover_qwen_files(root: Path) -> list[Path]:
    try:
        return sorted(p for p in Path(root).glob("*/chats/*.jsonl") if p.is_file())
    except OSError:
        return []


def _parts(rec: dict[str, Any]) -> list[dict[str, Any]]:
    parts = obj(rec, "message").get("parts")
    return [p for p in parts if type(p) is dict] if type(parts) is list else []


def _add(usage: Usage | None, meta: dict[str, Any]) -> Usage | None:
    if not meta:
        return usage
    prompt, cached = number(meta.get("promptTokenCount")), number(meta.get("cachedContentTokenCount"))
    u = usage or Usage()
    u.input_tokens += max(prompt - cached, 0)
    u.cache_read_tokens += cached
    u.output_tokens += number(meta.get("candidatesTokenCount")) + number(meta.get("thoughtsTokenCount"))
    return u


def parse_qwen_file(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    problems: list[ParseProblem] = []
    records = read_jsonl(path, problems)
    if records is None:
        return [], problems
    messages: list[Message | None] = []
    calls: dict[str, ToolCall] = {}
    turn: Turn | None = None
    stamps: list[str | None] = []
    sid = cwd = None
    for _, rec in records:
        ts = iso(rec.get("timestamp"))
        stamps.append(ts)
        sid = sid or string(rec, "sessionId") or None
        cwd = cwd or string(rec, "cwd") or None
        kind, parts = rec.get("type"), _parts(rec)
        if kind == "user":
            responses = [p for p in parts if type(p.get("functionResponse")) is dict]
            for part in responses:
                fr = part["functionResponse"]
                call = calls.get(string(fr, "id"))
                if call is not None:
                    resp = obj(fr, "response")
                    call.result_is_error = "error" in resp
                    call.result_content = result_text(resp.get("output", resp.get("error")))
            text = "\n".join(string(p, "text") for p in parts if string(p, "text"))
            if text.strip() and not responses:
                if turn is not None:
                    messages.append(turn.message())
                    turn = None
                t = Turn("user", ts)
                t.text(text)
                messages.append(t.message())
        elif kind == "assistant":
            if turn is None:
                turn = Turn("assistant", ts, model=string(rec, "model") or None)
            for part in parts:
                if type(part.get("functionCall")) is dict:
                    fc = part["functionCall"]
                    call = turn.tool(string(fc, "name") or "tool", string(fc, "id"), fc.get("args"))
                    if call.tool_use_id:
                        calls[call.tool_use_id] = call
                elif part.get("thought") is True:
                    turn.thinking(string(part, "text"))
                else:
                    turn.text(string(part, "text"))
            turn.usage = _add(turn.usage, obj(rec, "usageMetadata"))
    if turn is not None:
        messages.append(turn.message())
    folder_cwd, project = workspace_of(path.parent.parent.name) if cwd is None else (None, None)
    info = SessionInfo(
        session_id=f"qwen:{sid or path.stem}",
        agent="qwen",
        source_path=str(path),
        cwd=cwd or folder_cwd,
        project=project,
        stamps=stamps,
    )
    built = session(info, messages)
    return ([built] if built else []), problems


SOURCE = Source(
    name="qwen",
    label="Qwen Code",
    env_var="QWEN_PROJECTS_DIR",
    locations=(anywhere(".qwen/projects"),),
    discover=discover_qwen_files,
    parse=parse_qwen_file,
)
