"""Content-block helpers for the Claude Code parser.

Turns ``message.content`` blocks into the pieces a :class:`client.model.Message`
needs: display text, compact structure blocks and :class:`ToolCall` records.
Tool formatting follows agentsview's ``content.go`` (``[Read: path]``,
``[Bash]\\n$ cmd``...) so transcripts read the same in both viewers.
"""

from __future__ import annotations

from typing import Any

import orjson

from client.model import ToolCall

# Exact tool names -> normalized category. Anything else is "other", except
# MCP tools (``mcp__server__tool``) which are "mcp".
_CATEGORIES: dict[str, str] = {
    "Read": "read",
    "NotebookRead": "read",
    "Write": "write",
    "Edit": "edit",
    "MultiEdit": "edit",
    "NotebookEdit": "edit",
    "Bash": "bash",
    "BashOutput": "bash",
    "KillShell": "bash",
    "KillBash": "bash",
    "Glob": "search",
    "Grep": "search",
    "LS": "search",
    "ToolSearch": "search",
    "Task": "task",
    "Agent": "task",
    "TaskOutput": "task",
    "TaskStop": "task",
    "WebFetch": "web",
    "WebSearch": "web",
    "TodoWrite": "todo",
    "TodoRead": "todo",
    "TaskCreate": "todo",
    "TaskUpdate": "todo",
    "TaskGet": "todo",
    "TaskList": "todo",
    "Skill": "skill",
    "SlashCommand": "skill",
}
_TODO_ICONS = {"completed": "✓", "in_progress": "→", "pending": "○"}


def tool_category(name: str) -> str:
    cat = _CATEGORIES.get(name)
    if cat is not None:
        return cat
    if name.startswith("mcp__"):
        return "mcp"
    return "other"


def _s(d: dict[str, Any], key: str) -> str:
    # Inputs come from the log untrusted: only accept real strings.
    v = d.get(key)
    return v if isinstance(v, str) else ""


def format_tool_use(name: str, inp: dict[str, Any]) -> str:
    """One-line (or few-line) readable form of a tool call, as agentsview prints it."""
    if name == "Read":
        return f"[Read: {_s(inp, 'file_path') or _s(inp, 'path')}]"
    if name == "Bash":
        desc = _s(inp, "description")
        cmd = _s(inp, "command")
        return f"[Bash: {desc}]\n$ {cmd}" if desc else f"[Bash]\n$ {cmd}"
    if name in ("Edit", "MultiEdit", "Write"):
        label = "Write" if name == "Write" else "Edit"
        return f"[{label}: {_s(inp, 'file_path')}]"
    if name == "Grep":
        return f"[Grep: {_s(inp, 'pattern')}]"
    if name == "Glob":
        return f"[Glob: {_s(inp, 'pattern')} in {_s(inp, 'path') or '.'}]"
    if name in ("Task", "Agent"):
        desc = _s(inp, "description") or _s(inp, "prompt")
        agent = _s(inp, "subagent_type")
        if not desc and not agent:
            return "[Task]"
        return f"[Task: {desc} ({agent})]" if agent else f"[Task: {desc}]"
    if name == "Skill":
        return f"[Skill: {_s(inp, 'skill')}]"
    if name == "TodoWrite":
        lines = ["[Todo List]"]
        todos = inp.get("todos")
        for todo in todos if isinstance(todos, list) else ():
            if isinstance(todo, dict):
                icon = _TODO_ICONS.get(_s(todo, "status"), "○")
                lines.append(f"  {icon} {_s(todo, 'content')}")
        return "\n".join(lines)
    if name == "WebFetch":
        return f"[WebFetch: {_s(inp, 'url')}]"
    if name == "WebSearch":
        return f"[WebSearch: {_s(inp, 'query')}]"
    if name == "EnterPlanMode":
        return "[Entering Plan Mode]"
    if name == "ExitPlanMode":
        return "[Exiting Plan Mode]"
    return f"[Tool: {name}]"


def make_tool_call(block: dict[str, Any]) -> ToolCall:
    """ToolCall for a ``tool_use`` block (call_index is set by the caller)."""
    name = _s(block, "name")
    inp = block.get("input")
    skill = None
    if name == "Skill" and isinstance(inp, dict):
        skill = _s(inp, "skill") or None
    input_json = None
    if inp is not None:
        try:
            input_json = orjson.dumps(inp).decode()
        except (TypeError, orjson.JSONEncodeError):
            input_json = None
    return ToolCall(
        call_index=0,
        tool_name=name,
        tool_use_id=_s(block, "id"),
        category=tool_category(name),
        input_json=input_json,
        skill_name=skill,
    )


def result_text(content: Any) -> str:
    """``tool_result.content`` as one string: a string as is, text blocks joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for b in content:
            if isinstance(b, dict):
                t = b.get("text")
                if isinstance(t, str):
                    parts.append(t)
                elif b.get("type") == "image":
                    parts.append("[Image]")
            elif isinstance(b, str):
                parts.append(b)
        return "\n".join(parts)
    if content is None:
        return ""
    try:
        return orjson.dumps(content).decode()
    except (TypeError, orjson.JSONEncodeError):
        return str(content)


def block_key(block: dict[str, Any]) -> tuple[str, str]:
    """Identity of a content block, used to drop blocks repeated by cumulative streaming."""
    t = block.get("type")
    if t == "tool_use":
        return ("tool_use", _s(block, "id"))
    if t == "text":
        return ("text", _s(block, "text"))
    if t == "thinking":
        return ("thinking", _s(block, "thinking"))
    return (str(t), "")
