"""Building messages and sessions the same way for every agent.

Each agent module only maps its records onto these calls, so every source
renders the same: a message's ``content`` is its text, with thinking as
``[Thinking]\\n…\\n[/Thinking]`` and each tool call as one readable header line
(``[Bash]\\n$ cmd``, ``[Read: path]``, ``[Tool: name]``), in the order the agent
produced them; ``blocks`` keep the same pieces structured (``text``,
``thinking``, ``tool_use``) for the viewer.

Tool categories are one table for every agent, keyed by the tool name with
case, ``_`` and ``-`` removed (``read_file``, ``readFile`` and ``ReadFile`` are
one tool), after dropping a vendor prefix (``copilot_``). Names with ``__``
(``server__tool``) or an ``mcp`` prefix are MCP tools.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from client.model import Message, Relationship, Role, Session, ToolCall, Usage
from client.project import project_name

from .records import bounds, loads_or_none

FIRST_MESSAGE_CHARS = 300
DISPLAY_NAME_CHARS = 1000

_CATEGORY_NAMES: dict[str, list[str]] = {
    "read": (
        "read readfile readfiles readmanyfiles view viewfile viewimage cat ls list listfiles listdir"
        " listdirectory listfilestoplevel listfilesrecursive listcodedefinitionnames lookat find fsread"
        " getfile openfile readnotebookcellsoutput fetchinstructions"
    ).split(),
    "write": "write writefile writetofile createfile create newfilecreated insertcontent fswrite".split(),
    "edit": (
        "edit editfile editfiles multiedit replace strreplace applypatch patch multipatch applieddiff"
        " searchandreplace editedexistingfile deletefile replacefilecontent multireplacefilecontent"
        " undoedit undo remove notebookedit editnotebook fileeditor replacestringinfile"
        " multireplacestringinfile insertedit inserteditintofile"
    ).split(),
    "bash": (
        "bash shell shellcommand execcommand exec executecommand runcommand runshellcommand runinterminal"
        " terminal executebash process writestdin localshell runterminalcommand command killshell"
        " getterminaloutput"
    ).split(),
    "search": (
        "grep glob search searchfiles grepsearch codebasesearch filesearch fssearch finder findfiles"
        " textsearch semanticsearch listcodeusages searchcodebase"
    ).split(),
    "web": "webfetch websearch fetch fetchwebpage readwebpage searchweb googlewebsearch browser".split()
    + ["readurlcontent"],
    "task": (
        "task agent spawnagent newtask runsubagent subagent delegate invokesubagent sessionsspawn parallel"
    ).split(),
    "todo": "todo todowrite todoread updatetodolist managetodolist writetodos tasktracker updateplan".split(),
    "skill": "skill slashcommand".split(),
}
_CATEGORIES = {name: cat for cat, names in _CATEGORY_NAMES.items() for name in names}
_PREFIXES = ("copilot", "vscode")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_DETAIL_KEYS = {
    "read": ("file_path", "filePath", "absolute_path", "path", "target_file", "uri", "file"),
    "write": ("file_path", "filePath", "path", "target_file", "file"),
    "edit": ("file_path", "filePath", "path", "target_file", "file"),
    "search": ("pattern", "query", "regex", "glob", "path"),
    "web": ("url", "query"),
    "task": ("description", "prompt", "message", "task"),
}
_LABELS = {"read": "Read", "write": "Write", "edit": "Edit", "search": "Grep", "web": "Web", "task": "Task"}


def tool_category(name: str) -> str:
    if "__" in name or name.lower().startswith(("mcp_", "mcp-", "mcp.")):
        return "mcp"
    key = _NOT_ALNUM.sub("", name.lower())
    cat = _CATEGORIES.get(key)
    if cat is None:
        for prefix in _PREFIXES:
            if key.startswith(prefix) and key != prefix:
                cat = _CATEGORIES.get(key[len(prefix) :])
                break
    return cat or "other"


def _clean(s: str) -> str:
    # A "]" would end the header early; one line only.
    return " ".join(s.replace("]", ")").split())


def tool_header(name: str, category: str, args: Any) -> str:
    """One readable line (two for shell commands) for a tool call."""
    if category == "bash":
        cmd = (
            args.get("command") or args.get("cmd") or args.get("commandLine") if type(args) is dict else None
        )
        if type(cmd) is list:
            cmd = " ".join(str(c) for c in cmd)
        return (
            f"[Bash]\n$ {cmd.strip().splitlines()[0] if cmd.strip() else ''}"
            if type(cmd) is str
            else "[Bash]"
        )
    keys = _DETAIL_KEYS.get(category)
    if keys and type(args) is dict:
        for key in keys:
            v = args.get(key)
            if type(v) is str and v.strip():
                detail = _clean(v)[:200]
                return f"[{_LABELS[category]}: {detail}]"
    return f"[Tool: {_clean(name)}]"


def input_json(args: Any) -> str | None:
    """A tool input as JSON text: JSON-looking strings kept as written, anything else encoded."""
    if args is None:
        return None
    if type(args) is str:
        s = args.strip()
        if s[:1] in ("{", "["):
            try:
                orjson.loads(s)
                return s
            except orjson.JSONDecodeError:
                pass
        return orjson.dumps(args).decode()
    try:
        return orjson.dumps(args).decode()
    except TypeError:
        return orjson.dumps(str(args)).decode()


def result_text(value: Any) -> str | None:
    """A tool result of any shape as text: strings kept, text blocks joined, anything else as JSON."""
    if value is None:
        return None
    if type(value) is str:
        return value
    if type(value) is list:
        texts: list[Any] = []
        for v in value:
            texts.append(v if type(v) is str else v.get("text") if type(v) is dict else None)
        if texts and all(type(t) is str for t in texts):
            return "\n".join(texts)
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


@dataclass
class Turn:
    """One message being built; :meth:`message` returns None when nothing was added."""

    role: Role
    timestamp: str | None = None
    model: str | None = None
    usage: Usage | None = None
    is_system: bool = False
    parts: list[str] = field(default_factory=list)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    thinking_seen: bool = False

    def text(self, text: str | None) -> None:
        if text and text.strip():
            self.parts.append(text)
            self.blocks.append({"type": "text", "text": text})

    def thinking(self, text: str | None) -> None:
        if text and text.strip():
            self.parts.append(f"[Thinking]\n{text}\n[/Thinking]")
            self.blocks.append({"type": "thinking", "text": text})
            self.thinking_seen = True

    def tool(
        self,
        name: str,
        call_id: str = "",
        args: Any = None,
        *,
        result: str | None = None,
        is_error: bool = False,
        category: str | None = None,
        header: str | None = None,
        skill: str | None = None,
    ) -> ToolCall:
        cat = category or tool_category(name)
        shown = loads_or_none(args) if type(args) is str else args
        call = ToolCall(
            call_index=len(self.calls),
            tool_name=name,
            tool_use_id=call_id,
            category=cat,
            input_json=input_json(args),
            skill_name=skill,
            result_content=result,
            result_is_error=is_error,
        )
        self.calls.append(call)
        if header != "":  # "": the caller describes its calls in text of its own
            self.parts.append(header or tool_header(name, cat, shown))
        self.blocks.append({"type": "tool_use", "id": call_id, "name": name})
        return call

    @property
    def empty(self) -> bool:
        return not self.parts

    def message(self) -> Message | None:
        if not self.parts:
            return None
        return Message(
            ordinal=0,
            role=self.role,
            content="\n".join(self.parts),
            timestamp=self.timestamp,
            blocks=self.blocks,
            model=self.model,
            has_thinking=self.thinking_seen,
            has_tool_use=bool(self.calls),
            is_system=self.is_system or self.role == "system",
            usage=self.usage,
            tool_calls=self.calls,
        )


def add_usage(target: Usage, more: Usage) -> None:
    target.input_tokens += more.input_tokens
    target.output_tokens += more.output_tokens
    target.cache_read_tokens += more.cache_read_tokens
    target.cache_creation_tokens += more.cache_creation_tokens


def attach_usage(
    messages: list[Message | None],
    usage: Usage,
    *,
    at: str | None = None,
    side: Literal["before", "after"] = "before",
    model: str | None = None,
    note: str = "Token usage",
) -> None:
    """Count ``usage`` once, on the assistant message it belongs to.

    For usage reported apart from messages (per request, per segment, per
    session): the last assistant message at or before ``at`` (``side="before"``)
    or the first at or after it (``"after"``), else the nearest one on the other
    side; without ``at``, the last assistant message. With no assistant message
    at all a system message carrying the usage is appended, so no token is lost.
    """
    kept = [m for m in messages if m is not None and m.role == "assistant"]
    target: Message | None = None
    if at is not None and kept:
        before = [m for m in kept if m.timestamp is None or m.timestamp <= at]
        after = [m for m in kept if m.timestamp is None or m.timestamp >= at]
        if side == "before":
            target = before[-1] if before else after[0] if after else None
        else:
            target = after[0] if after else before[-1] if before else None
    elif kept:
        target = kept[-1]
    if target is None:
        t = Turn("system", at, model=model, usage=usage, is_system=True)
        t.text(note)
        messages.append(t.message())
        return
    if target.usage is None:
        target.usage = usage
    else:
        add_usage(target.usage, usage)
    target.model = target.model or model


def one_line(text: str | None, limit: int = FIRST_MESSAGE_CHARS) -> str | None:
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat[:limit] if flat else None


@dataclass
class SessionInfo:
    """What a parser knows about a session besides its messages."""

    session_id: str
    agent: str
    source_path: str
    cwd: str | None = None
    project: str | None = None
    git_branch: str | None = None
    title: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    parent_session_id: str | None = None
    relationship: Relationship = ""
    parent_tool_use_id: str | None = None
    stamps: list[str | None] = field(default_factory=list)  # extra times that widen start/end


def session(info: SessionInfo, messages: Iterable[Message | None]) -> Session | None:
    """A session of the kept messages (ordinals 0..n-1), or None when there is none."""
    kept = [m for m in messages if m is not None and (m.content.strip() or m.tool_calls)]
    if not kept:
        return None
    for i, m in enumerate(kept):
        m.ordinal = i
    first, last = bounds([*info.stamps, info.started_at, info.ended_at, *(m.timestamp for m in kept)])
    first_user = next((m.content for m in kept if m.role == "user" and not m.is_system), None)
    cwd = info.cwd or None
    return Session(
        session_id=info.session_id,
        agent=info.agent,
        project=info.project if info.project is not None else project_name(cwd),
        cwd=cwd,
        git_branch=info.git_branch or None,
        source_path=info.source_path,
        first_message=one_line(first_user),
        display_name=one_line(info.title, DISPLAY_NAME_CHARS),
        created_at=info.created_at or first,
        started_at=first,
        ended_at=last,
        parent_session_id=info.parent_session_id,
        relationship=info.relationship if info.parent_session_id else "",
        parent_tool_use_id=info.parent_tool_use_id,
        messages=kept,
    )
