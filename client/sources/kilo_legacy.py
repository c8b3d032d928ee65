"""Kilo Code's older extension (``kilo-legacy``, up to ~2026-03): Cline-style task folders.

Location: VS Code's ``User/globalStorage/kilocode.kilo-code/tasks/<taskId>/``
with ``ui_messages.json`` (the transcript, :mod:`client.sources.cline_tasks`),
``api_conversation_history.json`` (what was sent to the model) and
``task_metadata.json`` (files in context only). There is no
``history_item.json``:

* Session id: the task folder. Cwd: ``Current Workspace Directory (<path>)`` in
  an ``api_req_started`` row, else in the API history.
* Usage: the ``api_req_started`` rows, one per model request, each on the first
  assistant message after it.
* Model: the ``<model>…</model>`` tag in the API history's user turns (the
  latest one; Kilo may change it per turn).
"""

from __future__ import annotations

import re
from pathlib import Path

from client.model import ParseProblem, Session
from client.sources.base import Source

from .cline_tasks import read_task
from .records import read_json
from .roocode import _global_storage, discover_tasks, task_dependencies
from .turns import SessionInfo, attach_usage, session

EXTENSION = "kilocode.kilo-code"
_MODEL = re.compile(r"<model>\s*([^<]+?)\s*</model>")
_WORKSPACE = re.compile(r"Current Workspace Directory \(([^)]+)\)")


def _history_text(path: Path) -> str:
    history = path.with_name("api_conversation_history.json")
    if not history.is_file():
        return ""
    doc = read_json(history, [], what="api_conversation_history.json")
    parts: list[str] = []
    for turn in doc if type(doc) is list else ():
        content = turn.get("content") if type(turn) is dict else None
        for block in content if type(content) is list else ():
            if type(block) is dict and type(block.get("text")) is str:
                parts.append(block["text"])
    return "\n".join(parts)


def parse_kilo_legacy_task(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    problems: list[ParseProblem] = []
    task = read_task(path, problems)
    if task is None:
        return [], problems
    history = _history_text(path)
    models = _MODEL.findall(history)
    model = models[-1] if models else None
    for m in task.messages:
        if m is not None and m.role == "assistant":
            m.model = model
    for ts, usage in task.request_usage:
        attach_usage(task.messages, usage, at=ts, side="after", model=model, note="Token usage of a request")
    found = _WORKSPACE.search(history)
    info = SessionInfo(
        session_id=f"kilo-legacy:{path.parent.name}",
        agent="kilo-legacy",
        source_path=str(path),
        cwd=task.workspace or (found.group(1).strip() if found else None),
        stamps=task.stamps,
    )
    built = session(info, task.messages)
    return ([built] if built else []), problems


SOURCE = Source(
    name="kilo-legacy",
    label="Kilo Code (legacy extension)",
    env_var="KILO_LEGACY_DIR",
    locations=_global_storage(EXTENSION),
    discover=discover_tasks,
    parse=parse_kilo_legacy_task,
    depends=task_dependencies,
)
