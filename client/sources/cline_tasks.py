"""The Cline-family task transcript (``ui_messages.json``), shared by Roo Code and the old Kilo extension.

``tasks/<taskId>/ui_messages.json`` is one JSON array, rewritten as the task
runs, of ``{ts (ms), type: "say"|"ask", say?, ask?, text?, images?, partial?,
reasoning?}``. ``partial: true`` rows are streaming placeholders (skipped).

* The first row is the user's task. ``say`` ``user_feedback`` /
  ``user_feedback_diff`` are later user messages (``images`` count as
  ``[image]``).
* Assistant: ``say`` ``text`` (with a ``reasoning`` field: thinking),
  ``reasoning`` (thinking in ``text`` or ``reasoning``), ``completion_result``,
  ``ask`` ``followup`` / ``completion_result`` (text, or a JSON envelope's
  ``question``/``result``).
* Tool calls: ``ask`` ``tool`` (JSON ``{"tool": …, "path", "content", …}``; for
  reads the content is the result), ``ask`` ``command`` (the shell command)
  answered by ``say`` ``command_output`` rows (joined; an exit status other
  than 0 is a failure), ``ask`` ``use_mcp_server`` (``serverName``,
  ``toolName``, ``arguments``) answered by ``say`` ``mcp_server_response``, and
  ``newTask`` answered by ``say`` ``subtask_result``.
* Errors (``error``, ``diff_error``, ``rooignore_error``,
  ``shell_integration_warning``, ``mistake_limit_reached``, ``api_req_failed``)
  fail the call they follow; with no call waiting they are a system message.
* ``condense_context`` / ``sliding_window_truncation``: a system message.
* ``say`` ``api_req_started``: JSON ``{tokensIn, tokensOut, cacheReads,
  cacheWrites, cost}`` of one model request (input without the cache), kept
  when the caller asks (:func:`read_task`'s ``request_usage``); its text may
  also name the workspace (``Current Workspace Directory (<path>)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, ToolCall, Usage

from .records import iso, loads_or_none, number, read_json, string
from .turns import Turn

_ERRORS = frozenset(
    {
        "error",
        "diff_error",
        "rooignore_error",
        "shell_integration_warning",
        "mistake_limit_reached",
        "api_req_failed",
    }
)
_READS = frozenset(
    {"readFile", "listFiles", "listFilesTopLevel", "listFilesRecursive", "listCodeDefinitionNames"}
)
_WORKSPACE = re.compile(r"Current Workspace Directory \(([^)]+)\)")
_EXIT = re.compile(r"exit (?:status|code):? *([0-9]+)", re.I)


@dataclass
class Task:
    messages: list[Message | None]
    stamps: list[str | None]
    request_usage: list[tuple[str | None, Usage]] = field(default_factory=list)
    workspace: str | None = None
    subtask_calls: list[ToolCall] = field(default_factory=list)


def _envelope(text: str, *keys: str) -> str:
    doc = loads_or_none(text) if text.lstrip().startswith("{") else None
    return string(doc, *keys) if type(doc) is dict else text


class _Reader:
    def __init__(self) -> None:
        self.task = Task([], [])
        self.turns: list[Turn] = []  # finished, in order
        self.turn: Turn | None = None  # the assistant message being built
        self.errors: Turn | None = None  # the system message of consecutive errors, while they last
        self.pending: ToolCall | None = None

    def _assistant(self, ts: str | None) -> Turn:
        if self.turn is None or self.turn.role != "assistant":
            self._close()
            self.turn = Turn("assistant", ts)
        return self.turn

    def _close(self) -> None:
        if self.turn is not None:
            self.turns.append(self.turn)
            self.turn = None

    def finish(self) -> Task:
        self._close()
        self.task.messages = [t.message() for t in self.turns]
        return self.task

    def _user(self, text: str, images: Any, ts: str | None) -> None:
        self._close()
        t = Turn("user", ts)
        t.text(text)
        for _ in images if type(images) is list else ():
            t.text("[image]")
        self.turns.append(t)
        self.pending = None

    def _system(self, text: str, ts: str | None) -> None:
        self._close()
        t = Turn("system", ts, is_system=True)
        t.text(text)
        self.turns.append(t)

    def _result(self, text: str, *, error: bool = False) -> None:
        call = self.pending
        if call is None:
            return
        call.result_content = f"{call.result_content}\n{text}" if call.result_content else text
        call.result_is_error = call.result_is_error or error

    def row(self, row: dict[str, Any], first: bool) -> None:
        if string(row, "say") not in _ERRORS:
            self.errors = None
        ts = iso(row.get("ts"))
        self.task.stamps.append(ts)
        say, ask = string(row, "say"), string(row, "ask")
        text = string(row, "text")
        if first:
            self._user(text, row.get("images"), ts)
        elif say in ("user_feedback", "user_feedback_diff"):
            self._user(text, row.get("images"), ts)
        elif say == "text" or say == "completion_result":
            t = self._assistant(ts)
            t.thinking(string(row, "reasoning"))
            t.text(text)
        elif say == "reasoning":
            self._assistant(ts).thinking(text or string(row, "reasoning"))
        elif ask in ("followup", "completion_result"):
            self._assistant(ts).text(_envelope(text, "question", "result", "text"))
        elif ask == "tool":
            args = loads_or_none(text)
            name = string(args, "tool") or "tool"
            call = self._assistant(ts).tool(name, "", args if args is not None else text)
            if name in _READS and type(args) is dict and type(args.get("content")) is str:
                call.result_content = args["content"]
            if name == "newTask":
                self.task.subtask_calls.append(call)
            self.pending = call
        elif ask == "command":
            self.pending = self._assistant(ts).tool("execute_command", "", {"command": text})
        elif ask == "use_mcp_server":
            args = loads_or_none(text)
            server, tool = string(args, "serverName"), string(args, "toolName", "tool")
            name = f"{server}__{tool}" if server and tool else tool or "use_mcp_tool"
            self.pending = self._assistant(ts).tool(name, "", args if args is not None else text)
        elif say in ("command_output", "mcp_server_response", "subtask_result"):
            exit_code = _EXIT.search(text) if say == "command_output" else None
            self._result(text, error=bool(exit_code and exit_code.group(1) != "0"))
        elif say in _ERRORS:
            if self.pending is not None:
                self._result(text or say, error=True)
            elif self.errors is not None:
                self.errors.text(f"[{say}] {text}".strip())  # consecutive errors: one message
            else:
                self._system(f"[{say}] {text}".strip(), ts)
                self.errors = self.turns[-1]
            return
        elif say in ("condense_context", "sliding_window_truncation"):
            self._system("[context condensed]" if say == "condense_context" else "[context truncated]", ts)
        elif say == "api_req_started":
            doc = loads_or_none(text) if text.lstrip().startswith("{") else None
            if type(doc) is dict:
                self.task.request_usage.append(
                    (
                        ts,
                        Usage(
                            input_tokens=number(doc.get("tokensIn")),
                            output_tokens=number(doc.get("tokensOut")),
                            cache_read_tokens=number(doc.get("cacheReads")),
                            cache_creation_tokens=number(doc.get("cacheWrites")),
                        ),
                    )
                )
            found = _WORKSPACE.search(text)
            if found and self.task.workspace is None:
                self.task.workspace = found.group(1).strip()


def read_task(path: Path, problems: list[ParseProblem]) -> Task | None:
    """The transcript of ``ui_messages.json`` at ``path`` (None, with a problem, when unreadable)."""
    rows = read_json(path, problems, what="ui_messages.json")
    if rows is None:
        return None
    if type(rows) is not list:
        problems.append(ParseProblem(str(path), None, "ui_messages.json is not a JSON array"))
        return None
    reader = _Reader()
    first = True
    for row in rows:
        if type(row) is not dict or row.get("partial") is True:
            continue
        reader.row(row, first)
        first = False
    return reader.finish()
