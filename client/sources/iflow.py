"""iFlow CLI (``iflow``): ``~/.iflow/projects/<project>/session-<id>.jsonl``, Claude-Code-like lines.

* Session id: the file stem without ``session-``. When the first user or
  assistant line's ``sessionId`` names another session, that session is the
  parent (a fork). Cwd and branch: the first user line's ``cwd`` / ``gitBranch``
  (the folder name is only a fallback project). Start/end: every line's time.
* Assistant lines carry Anthropic-style ``message.content`` (``text``,
  ``thinking``, ``tool_use``) and ``message.model``. iFlow streams one turn as
  several snapshot lines (same ``parentUuid``, adjacent, under a second apart)
  whose ``tool_use`` blocks overlap; such a burst is one message and each
  ``tool_use`` id is kept once in the session.
* Tool results: ``user`` lines with ``tool_result`` blocks whose ``content`` is
  a Gemini-style object (``responseParts.functionResponse.response.output`` or
  ``error``), a string or text blocks; ``toolUseResult.status`` ``error`` marks
  a failure. Such lines are not prompts.
* Skipped user lines: ``isMeta`` / ``isCompactSummary``, and texts that are
  continuation notes, interruptions, task notifications, local command
  envelopes or hook feedback. Usage: iFlow writes zeros, kept only when not.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, Session, ToolCall, Usage
from client.sources.base import Source
from client.sources.paths import anywhere

from .records import iso, number, obj, read_jsonl, string
from .turns import SessionInfo, Turn, result_text, session

_NOISE = (
    "This session is being continued",
    "[Request interrupted",
    "<task-notification>",
    "<local-command-",
    "<command-name>",
    "<command-message>",
    "Stop hook feedback:",
)
BURST_SECONDS = 1.0


def discover_iflow_files(root: Path) -> list[Path]:
    try:
        return sorted(p for p in Path(root).glob("*/session-*.jsonl") if p.is_file())
    except OSError:
        return []


def _seconds(ts: str | None) -> float | None:
    return datetime.fromisoformat(ts).timestamp() if ts else None


def _result(content: Any) -> str | None:
    if type(content) is dict:
        parts = content.get("responseParts")
        fr = parts.get("functionResponse") if type(parts) is dict else None
        resp = fr.get("response") if type(fr) is dict else None
        if type(resp) is dict:
            for key in ("output", "error"):
                if key in resp:
                    return result_text(resp[key])
        display = content.get("resultDisplay")
        if type(display) is str and display:
            return display
    return result_text(content)


def _user_text(content: Any) -> str:
    if type(content) is str:
        return content
    if type(content) is list:
        return "\n".join(string(b, "text") for b in content if type(b) is dict and b.get("type") == "text")
    return ""


class _Reader:
    def __init__(self) -> None:
        self.messages: list[Message | None] = []
        self.calls: dict[str, ToolCall] = {}
        self.burst: Turn | None = None
        self.burst_key: tuple[Any, float | None] | None = None

    def assistant(self, rec: dict[str, Any], ts: str | None) -> None:
        msg = obj(rec, "message")
        at = _seconds(ts)
        parent = rec.get("parentUuid")
        if (
            self.burst is None
            or self.burst_key is None
            or self.burst_key[0] != parent
            or at is None
            or self.burst_key[1] is None
            or abs(at - self.burst_key[1]) >= BURST_SECONDS
        ):
            self.close()
            self.burst = Turn("assistant", ts, model=string(msg, "model") or None)
        self.burst_key = (parent, at)
        t = self.burst
        content = msg.get("content")
        for block in content if type(content) is list else ():
            if type(block) is not dict:
                continue
            kind = block.get("type")
            if kind == "text" and string(block, "text") not in t.parts:
                t.text(string(block, "text"))
            elif kind == "thinking":
                t.thinking(string(block, "thinking", "text"))
            elif kind == "tool_use" and string(block, "name"):
                cid = string(block, "id")
                if cid and cid in self.calls:
                    continue  # a streamed snapshot repeating a call already kept
                call = t.tool(string(block, "name"), cid, block.get("input"))
                if cid:
                    self.calls[cid] = call
        usage = msg.get("usage")
        if type(usage) is dict:
            u = Usage(
                input_tokens=number(usage.get("input_tokens")),
                output_tokens=number(usage.get("output_tokens")),
                cache_creation_tokens=number(usage.get("cache_creation_input_tokens")),
                cache_read_tokens=number(usage.get("cache_read_input_tokens")),
            )
            if u.input_tokens or u.output_tokens or u.cache_creation_tokens or u.cache_read_tokens:
                t.usage = u

    def user(self, rec: dict[str, Any], ts: str | None) -> None:
        self.close()
        msg = obj(rec, "message")
        content = msg.get("content")
        failed = type(rec.get("toolUseResult")) is dict and rec["toolUseResult"].get("status") == "error"
        for block in content if type(content) is list else ():
            if type(block) is dict and block.get("type") == "tool_result":
                call = self.calls.get(string(block, "tool_use_id"))
                if call is not None:
                    call.result_content = _result(block.get("content"))
                    call.result_is_error = failed or block.get("is_error") is True
        if rec.get("isMeta") is True or rec.get("isCompactSummary") is True:
            return
        text = _user_text(content).strip()
        if text and not text.startswith(_NOISE):
            t = Turn("user", ts)
            t.text(text)
            self.messages.append(t.message())

    def close(self) -> None:
        if self.burst is not None:
            self.messages.append(self.burst.message())
        self.burst, self.burst_key = None, None


def parse_iflow_file(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    problems: list[ParseProblem] = []
    records = read_jsonl(path, problems)
    if records is None:
        return [], problems
    reader = _Reader()
    stamps: list[str | None] = []
    first_sid = cwd = branch = None
    for _, rec in records:
        ts = iso(rec.get("timestamp"))
        stamps.append(ts)
        kind = rec.get("type")
        if kind not in ("user", "assistant"):
            continue
        first_sid = first_sid or string(rec, "sessionId") or None
        if kind == "user":
            cwd = cwd or string(rec, "cwd") or None
            branch = branch or string(rec, "gitBranch") or None
            reader.user(rec, ts)
        else:
            reader.assistant(rec, ts)
    reader.close()
    own = path.stem.removeprefix("session-")
    parent = first_sid.removeprefix("session-") if first_sid else None
    info = SessionInfo(
        session_id=f"iflow:{own}",
        agent="iflow",
        source_path=str(path),
        cwd=cwd,
        project=None if cwd else path.parent.name,
        git_branch=branch,
        stamps=stamps,
        parent_session_id=f"iflow:{parent}" if parent and parent != own else None,
        relationship="fork",
    )
    built = session(info, reader.messages)
    return ([built] if built else []), problems


SOURCE = Source(
    name="iflow",
    label="iFlow CLI",
    env_var="IFLOW_DIR",
    locations=(anywhere(".iflow/projects"),),
    discover=discover_iflow_files,
    parse=parse_iflow_file,
)
