"""Roo Code (``roocode``): the extension's global storage, ``tasks/<taskId>/``.

Location: VS Code's ``User/globalStorage/rooveterinaryinc.roo-cline`` (Linux
``~/.config/Code``, macOS ``~/Library/Application Support/Code``, Windows
``%APPDATA%\\Code``). Each task folder holds ``history_item.json`` (metadata)
and ``ui_messages.json`` (the transcript, :mod:`client.sources.cline_tasks`).

* ``history_item.json``: ``id`` (else the folder name), ``workspace`` (cwd),
  ``task`` (title), ``apiConfigName`` (the model profile, e.g.
  ``anthropic/claude-sonnet-4``: the model after the provider), and cumulative
  ``tokensIn``/``tokensOut``/``cacheReads``/``cacheWrites``: the task's usage,
  kept on its last assistant message (Roo's own totals; per-request
  ``api_req_started`` figures are not added to them).
* A subtask has ``parentTaskId`` (``subagent`` of that task); a parent lists its
  children in ``childIds``, in the order of its ``newTask`` calls, which link
  to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from client.model import ParseProblem, Session, Usage
from client.sources.base import Source
from client.sources.paths import Location, linux, macos, windows

from .cline_tasks import read_task
from .records import iso, number, read_json, string
from .turns import SessionInfo, attach_usage, session

EXTENSION = "rooveterinaryinc.roo-cline"


def discover_tasks(root: Path) -> list[Path]:
    """Every ``tasks/<id>/ui_messages.json`` below ``root``."""
    try:
        return sorted(p for p in (Path(root) / "tasks").glob("*/ui_messages.json") if p.is_file())
    except OSError:
        return []


def task_dependencies(path: Path, sessions: Sequence[Session]) -> list[Path]:
    folder = path.parent
    return [
        folder / "history_item.json",
        folder / "api_conversation_history.json",
        folder / "task_metadata.json",
    ]


def model_of(profile: str) -> str | None:
    """``anthropic/claude-sonnet-4`` -> ``claude-sonnet-4``; a free-form profile name is kept."""
    head, sep, tail = profile.partition("/")
    return tail if sep and head and " " not in head and tail else (profile or None)


def parse_roocode_task(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    problems: list[ParseProblem] = []
    task = read_task(path, problems)
    if task is None:
        return [], problems
    item_path = path.with_name("history_item.json")
    item: Any = read_json(item_path, problems, what="history_item.json") if item_path.is_file() else {}
    item = item if type(item) is dict else {}
    sid = string(item, "id") or path.parent.name
    model = model_of(string(item, "apiConfigName"))
    for m in task.messages:
        if m is not None and m.role == "assistant":
            m.model = model
    totals = Usage(
        input_tokens=number(item.get("tokensIn")),
        output_tokens=number(item.get("tokensOut")),
        cache_read_tokens=number(item.get("cacheReads")),
        cache_creation_tokens=number(item.get("cacheWrites")),
    )
    if (
        totals.input_tokens
        or totals.output_tokens
        or totals.cache_read_tokens
        or totals.cache_creation_tokens
    ):
        attach_usage(task.messages, totals, model=model, note="Token usage of the task")
    children = item.get("childIds")
    for call, child in zip(task.subtask_calls, children if type(children) is list else [], strict=False):
        if type(child) is str and child:
            call.subagent_session_id = f"roocode:{child}"
    parent = string(item, "parentTaskId")
    info = SessionInfo(
        session_id=f"roocode:{sid}",
        agent="roocode",
        source_path=str(path),
        cwd=string(item, "workspace") or task.workspace,
        title=string(item, "task") or None,
        stamps=[*task.stamps, iso(item.get("ts"))],
        parent_session_id=f"roocode:{parent}" if parent else None,
        relationship="subagent",
    )
    built = session(info, task.messages)
    return ([built] if built else []), problems


def _global_storage(extension: str) -> tuple[Location, ...]:
    return (
        linux(f"{{config}}/Code/User/globalStorage/{extension}"),
        macos(f"{{appsup}}/Code/User/globalStorage/{extension}"),
        windows(f"{{appdata}}/Code/User/globalStorage/{extension}"),
    )


SOURCE = Source(
    name="roocode",
    label="Roo Code",
    env_var="ROOCODE_DIR",
    locations=_global_storage(EXTENSION),
    discover=discover_tasks,
    parse=parse_roocode_task,
    depends=task_dependencies,
)
