"""GitHub Copilot CLI (``copilot``): ``~/.copilot/session-state`` event logs.

Layout: ``session-state/<id>/events.jsonl`` (with an optional
``workspace.yaml``) or, older, ``session-state/<id>.jsonl``; when both exist
the folder wins. Each line is ``{type, data, timestamp}``.

* ``session.start``: ``sessionId`` (else the folder or file name),
  ``context.cwd`` / ``context.branch``. Start and end are the first and last
  line timestamps. ``workspace.yaml`` ``name:`` is the title.
* ``user.message``: ``content``; skill injections (``source`` ``skill-…`` or
  content ``<skill-context…``) are not the user's words and are skipped.
* ``assistant.message``: ``content``, ``reasoningText`` (thinking),
  ``toolRequests[]`` (``toolCallId``, ``name``, ``arguments`` as JSON text or
  an object), ``outputTokens``. A later ``assistant.reasoning`` event only
  marks the previous assistant message as having thought.
* ``tool.execution_complete``: the result (string, object or array) of a
  call, ``success: false`` an error.
* ``session.model_change``: ``newModel`` is the model of the assistant
  messages that follow (Claude ids written with dots are rewritten with
  hyphens, as agentsview does, so pricing matches).
* Token usage: ``session.shutdown`` ``modelMetrics`` report one segment of the
  session per model (``inputTokens`` includes cache reads and writes). They
  are authoritative for their segment: each model's figures go on the last
  assistant message of the segment with that model (else the last one without
  usage, else a system message carrying them), and the segment's per-message
  ``outputTokens`` are dropped so nothing is counted twice. Messages of a
  segment no shutdown closed keep their own ``outputTokens``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, Session, ToolCall, Usage
from client.sources.base import Source
from client.sources.paths import anywhere

from .records import iso, number, read_jsonl, string
from .turns import SessionInfo, Turn, result_text, session

STATE_DIR = "session-state"


def discover_copilot_files(root: Path) -> list[Path]:
    state = Path(root) / STATE_DIR
    try:
        entries = list(state.iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.is_dir():
            events = entry / "events.jsonl"
            if events.is_file():
                found.append(events)
        elif (
            entry.suffix == ".jsonl"
            and entry.is_file()
            and not (state / entry.stem / "events.jsonl").is_file()
        ):
            found.append(entry)
    return sorted(found)


def copilot_dependencies(path: Path, sessions: Sequence[Session]) -> list[Path]:
    return [path.with_name("workspace.yaml")] if path.name == "events.jsonl" else []


def normalize_model(model: str) -> str:
    return model.replace(".", "-") if model.startswith("claude-") else model


def _workspace_name(path: Path) -> str | None:
    if path.name != "events.jsonl":
        return None
    try:
        lines = path.with_name("workspace.yaml").read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("name:"):
            name = line[5:].strip().strip("\"'")
            if name:
                return name
    return None


class _Segment:
    """Assistant messages since the last ``session.shutdown``."""

    def __init__(self) -> None:
        self.assistants: list[Message] = []

    def close(self, metrics: Any, ts: str | None, out: list[Message]) -> None:
        reported = []
        for model, entry in sorted(metrics.items()) if type(metrics) is dict else ():
            usage = entry.get("usage") if type(entry) is dict else None
            if type(usage) is not dict:
                continue
            total, read = number(usage.get("inputTokens")), number(usage.get("cacheReadTokens"))
            write = number(usage.get("cacheWriteTokens"))
            u = Usage(
                input_tokens=max(total - read - write, 0),
                output_tokens=number(usage.get("outputTokens")),  # includes reasoning, as OpenAI counts it
                cache_creation_tokens=write,
                cache_read_tokens=read,
            )
            if u.input_tokens or u.output_tokens or u.cache_creation_tokens or u.cache_read_tokens:
                reported.append((normalize_model(model), u))
        if not reported:
            return
        for m in self.assistants:
            m.usage = None  # the shutdown's figures replace per-message outputTokens
        taken: set[int] = set()
        for model, u in reported:
            target = next(
                (m for m in reversed(self.assistants) if m.model == model and id(m) not in taken), None
            )
            if target is None:
                target = next((m for m in reversed(self.assistants) if id(m) not in taken), None)
            if target is None:
                t = Turn("system", ts, model=model, usage=u, is_system=True)
                t.text(f"Token usage reported at session shutdown ({model})")
                target = t.message()
                assert target is not None
                out.append(target)
            else:
                target.usage = u
                target.model = target.model or model
            taken.add(id(target))
        self.assistants = []


def parse_copilot_file(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    problems: list[ParseProblem] = []
    records = read_jsonl(path, problems)
    if records is None:
        return [], problems
    messages: list[Message] = []
    calls: dict[str, ToolCall] = {}
    segment = _Segment()
    stamps: list[str | None] = []
    sid = cwd = branch = model = None
    for _, rec in records:
        ts = iso(rec.get("timestamp"))
        stamps.append(ts)
        kind, data = rec.get("type"), rec.get("data")
        data = data if type(data) is dict else {}
        if kind == "session.start":
            sid = sid or string(data, "sessionId") or None
            ctx = data.get("context")
            cwd, branch = string(ctx, "cwd") or cwd, string(ctx, "branch") or branch
        elif kind == "user.message":
            content = string(data, "content").strip()
            if content and not (
                string(data, "source").startswith("skill-") or content.startswith("<skill-context")
            ):
                t = Turn("user", ts)
                t.text(content)
                messages += filter(None, [t.message()])
        elif kind == "assistant.message":
            m = _assistant(data, ts, model, calls)
            if m is not None:
                messages.append(m)
                segment.assistants.append(m)
        elif kind == "assistant.reasoning":
            last = next((m for m in reversed(messages) if m.role == "assistant"), None)
            if last is not None:
                last.has_thinking = True
        elif kind == "tool.execution_complete":
            call = calls.get(string(data, "toolCallId"))
            if call is not None:
                call.result_content = result_text(data.get("result"))
                call.result_is_error = data.get("success") is False
        elif kind == "session.model_change" and "newModel" in data:
            new = data.get("newModel")
            model = normalize_model(new) if type(new) is str and new else None
        elif kind == "session.shutdown":
            segment.close(data.get("modelMetrics"), ts, messages)
    stem = path.parent.name if path.name == "events.jsonl" else path.stem
    info = SessionInfo(
        session_id=f"copilot:{sid or stem}",
        agent="copilot",
        source_path=str(path),
        cwd=cwd,
        git_branch=branch,
        title=_workspace_name(path),
        stamps=stamps,
    )
    built = session(info, messages)
    return ([built] if built else []), problems


def _assistant(
    data: dict[str, Any], ts: str | None, model: str | None, calls: dict[str, ToolCall]
) -> Message | None:
    t = Turn("assistant", ts, model=model)
    t.thinking(string(data, "reasoningText").strip())
    t.text(string(data, "content").strip())
    requests = data.get("toolRequests")
    for req in requests if type(requests) is list else ():
        name = string(req, "name")
        if not name:
            continue
        call_id = string(req, "toolCallId")
        args = req.get("arguments")
        call = t.tool(name, call_id, args)
        if call_id:
            calls[call_id] = call
    out = number(data.get("outputTokens"))
    if out:
        t.usage = Usage(output_tokens=out)
    return t.message()


SOURCE = Source(
    name="copilot",
    label="GitHub Copilot CLI",
    env_var="COPILOT_DIR",
    locations=(anywhere(".copilot"),),
    discover=discover_copilot_files,
    parse=parse_copilot_file,
    depends=copilot_dependencies,
)
