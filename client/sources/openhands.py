"""OpenHands CLI (``openhands``): ``~/.openhands/conversations/<id>/``, one folder per conversation.

A folder holds ``base_state.json`` and ``events/event-<index>-<label>.json``
(one JSON file per event, read in name order); a folder without events is no
session. The path parsed is the folder; its ``events/`` folder and
``base_state.json`` are what a change shows in.

* ``base_state.json``: ``id`` (else the folder name, re-hyphenated), the model
  ``agent.llm.model``, and a ``workspace`` path (``cwd``/``path``/``working_dir``),
  else the first observation's ``metadata.working_dir`` is the cwd.
* Events ``{id, timestamp (no zone: UTC), source, kind, …}``: ``MessageEvent``
  (``llm_message`` ``role``/``content`` text; ``thinking_blocks`` or
  ``reasoning_content`` as thinking), ``ActionEvent`` (a tool call by the agent:
  ``tool_name``, ``tool_call_id``, ``tool_call.arguments``, with ``thought``
  text and thinking), ``ObservationEvent`` (its result: ``observation.content``
  text, ``is_error``); an ``AgentErrorEvent`` is a system message. Consecutive
  agent events are one assistant message. Events carry no usage.
* An event file that is not JSON is reported and skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, Session, ToolCall
from client.sources.base import Source
from client.sources.paths import anywhere

from .records import iso, obj, read_json, string
from .turns import SessionInfo, Turn, session


def discover_conversations(root: Path) -> list[Path]:
    try:
        folders = sorted(p for p in Path(root).iterdir() if p.is_dir())
    except OSError:
        return []
    return [f for f in folders if any((f / "events").glob("*.json"))]


def conversation_dependencies(path: Path, sessions: Sequence[Session]) -> list[Path]:
    return [path / "events", path / "base_state.json"]


def _texts(blocks: Any) -> str:
    if type(blocks) is str:
        return blocks
    return (
        "\n".join(string(b, "text") for b in blocks if type(b) is dict and string(b, "text"))
        if type(blocks) is list
        else ""
    )


def _thinking(event: dict[str, Any]) -> str:
    blocks = event.get("thinking_blocks")
    parts = [string(b, "thinking", "text") for b in blocks if type(b) is dict] if type(blocks) is list else []
    parts = [p for p in parts if p]
    return (
        "\n".join(parts)
        or string(event, "reasoning_content")
        or string(obj(event, "llm_message"), "reasoning_content")
    )


def _session_id(folder: Path, state: dict[str, Any]) -> str:
    sid = string(state, "id")
    if sid:
        return sid
    try:
        return str(uuid.UUID(hex=folder.name))
    except ValueError:
        return folder.name


def parse_conversation(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    folder = Path(path)
    problems: list[ParseProblem] = []
    state_path = folder / "base_state.json"
    state = read_json(state_path, problems, what="base_state.json") if state_path.is_file() else {}
    state = state if type(state) is dict else {}
    model = string(obj(obj(state, "agent"), "llm"), "model") or None
    cwd = string(obj(state, "workspace"), "cwd", "path", "working_dir", "working_directory") or None
    messages: list[Message | None] = []
    calls: dict[str, ToolCall] = {}
    stamps: list[str | None] = []
    turn: Turn | None = None
    for event_file in sorted((folder / "events").glob("*.json")):
        event = read_json(event_file, problems, what="event file")
        if type(event) is not dict:
            continue
        ts = iso(event.get("timestamp"))
        stamps.append(ts)
        kind, source = event.get("kind"), event.get("source")
        if kind == "ObservationEvent":
            observation = obj(event, "observation")
            cwd = cwd or string(obj(observation, "metadata"), "working_dir") or None
            call = calls.get(string(event, "tool_call_id"))
            if call is not None:
                call.result_content = _texts(observation.get("content"))
                call.result_is_error = observation.get("is_error") is True
            continue
        if kind == "MessageEvent" and source == "user":
            if turn is not None:
                messages.append(turn.message())
                turn = None
            t = Turn("user", ts)
            t.text(_texts(obj(event, "llm_message").get("content")))
            messages.append(t.message())
        elif kind in ("MessageEvent", "ActionEvent") and source == "agent":
            if turn is None:
                turn = Turn("assistant", ts, model=model)
            turn.thinking(_thinking(event))
            if kind == "MessageEvent":
                turn.text(_texts(obj(event, "llm_message").get("content")))
            else:
                turn.text(_texts(event.get("thought")))
                tool_call = obj(event, "tool_call")
                name = string(event, "tool_name") or string(tool_call, "name") or "tool"
                args = tool_call.get("arguments", event.get("action"))
                call = turn.tool(name, string(event, "tool_call_id") or string(tool_call, "id"), args)
                if call.tool_use_id:
                    calls[call.tool_use_id] = call
        elif kind == "AgentErrorEvent":
            if turn is not None:
                messages.append(turn.message())
                turn = None
            t = Turn("system", ts, is_system=True)
            t.text(string(event, "error", "message") or "agent error")
            messages.append(t.message())
    if turn is not None:
        messages.append(turn.message())
    info = SessionInfo(
        session_id=f"openhands:{_session_id(folder, state)}",
        agent="openhands",
        source_path=str(folder),
        cwd=cwd,
        stamps=stamps,
    )
    built = session(info, messages)
    return ([built] if built else []), problems


SOURCE = Source(
    name="openhands",
    label="OpenHands CLI",
    env_var="OPENHANDS_CONVERSATIONS_DIR",
    locations=(anywhere(".openhands/conversations"),),
    discover=discover_conversations,
    parse=parse_conversation,
    depends=conversation_dependencies,
)
