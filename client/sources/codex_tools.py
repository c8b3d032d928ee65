"""Codex item helpers: tool categories, readable tool text, result and content text.

Formatting follows agentsview's ``codex.go`` so transcripts read the same in
both viewers: shell tools print ``[Bash]\\n$ <first line of cmd>``,
``write_stdin`` prints ``[Bash: stdin -> <session>]`` and the escaped chars,
``apply_patch`` is an edit (``[Edit: file (+n more)]`` plus the file list),
``spawn_agent`` a task. A ``summary`` on the call, when present, becomes the
header detail. Anything else is ``[Tool: name]`` plus a 220-char argument
preview. ``input_json`` is always valid JSON: JSON-string arguments are kept
as written, raw text (``custom_tool_call`` input, a patch) is stored as a JSON
string literal.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

import orjson

from client.model import ToolCall

_CATEGORIES: dict[str, str] = {
    "exec_command": "bash",
    "shell_command": "bash",
    "shell": "bash",
    "local_shell": "bash",
    "container.exec": "bash",
    "unified_exec": "bash",
    "write_stdin": "bash",
    "apply_patch": "edit",
    "read_file": "read",
    "view_image": "read",
    "list_dir": "search",
    "grep_files": "search",
    "file_search": "search",
    "web_search": "web",
    "web_search_call": "web",
    "update_plan": "todo",
    "spawn_agent": "task",
    "wait": "task",
    "wait_agent": "task",
    "send_input": "task",
}
_BASH = frozenset({"exec_command", "shell_command", "shell", "local_shell", "container.exec", "unified_exec"})
_PATCH_PREFIXES = ("*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: ")
_PLAN_ICONS = {"completed": "✓", "in_progress": "→", "pending": "○"}


def tool_category(name: str) -> str:
    cat = _CATEGORIES.get(name)
    if cat is not None:
        return cat
    # Codex names MCP tools "<server>__<tool>" (some builds prefix "mcp__").
    return "mcp" if "__" in name else "other"


def _label(s: str) -> str:
    # agentsview's sanitizeToolLabel: a "]" would end the header early.
    return " ".join(s.replace("]", ")").split())


def _header(label: str, detail: str) -> str:
    if not detail:
        return f"[{label}]"
    detail = _label(detail)
    return f"[{label}: {detail}]" if detail else f"[{label}]"


def _arg(args: Any, *keys: str) -> str:
    if type(args) is not dict:
        return ""
    for key in keys:
        v = args.get(key)
        if type(v) is str and v.strip():
            return v.strip()
    return ""


def _preview(args: Any, raw: str) -> str:
    text = raw
    if not text and args not in (None, {}, []):
        text = orjson.dumps(args).decode()
    return " ".join(text.split())[:220]


def parse_arguments(payload: dict[str, Any]) -> tuple[Any, str, str | None]:
    """(parsed args or None, raw non-JSON text, input_json) from ``arguments``/``input``."""
    for key in ("arguments", "input"):
        arg = payload.get(key)
        if type(arg) is str:
            s = arg.strip()
            if not s:
                continue
            if s[0] in "{[":
                try:
                    parsed = orjson.loads(s)
                except orjson.JSONDecodeError:
                    parsed = None
                if parsed is not None:
                    return parsed, "", s if parsed not in ({}, []) else None
            return None, s, orjson.dumps(arg).decode()
        if type(arg) in (dict, list) and arg:
            return arg, "", orjson.dumps(arg).decode()
    return None, "", None


def _command(args: Any, raw: str) -> str:
    cmd: Any = args.get("cmd") or args.get("command") if type(args) is dict else None
    if type(cmd) is list:
        parts = [c for c in cmd if type(c) is str]
        # ["bash", "-lc", "<script>"] is how Codex wraps a shell command.
        if len(parts) >= 3 and parts[1] in ("-lc", "-c"):
            cmd = parts[2]
        else:
            cmd = shlex.join(parts)
    text: str = cmd if type(cmd) is str and cmd.strip() else raw
    return text.strip().split("\n", 1)[0]


def patched_files(patch: str) -> list[str]:
    files: list[str] = []
    for line in patch.split("\n"):
        if line.startswith("*** "):
            for prefix in _PATCH_PREFIXES:
                if line.startswith(prefix):
                    f = line[len(prefix) :].strip()
                    if f and f not in files:
                        files.append(f)
                    break
    return files


def format_call(name: str, summary: str, args: Any, raw: str) -> str:
    """Readable text of one Codex tool call (agentsview's ``formatCodexFunctionCall``)."""
    if name in _BASH:
        cmd = _command(args, raw)
        head = _header("Bash", summary)
        if cmd:
            return f"{head}\n$ {cmd}"
        preview = _preview(args, raw)
        return f"{head}\n{preview}" if preview else head
    if name == "write_stdin":
        sid = _arg(args, "session_id")
        head = _header("Bash", summary or (f"stdin -> {sid}" if sid else "stdin"))
        chars = args.get("chars") if type(args) is dict else None
        if type(chars) is str and chars:
            return f"{head}\n{json.dumps(chars)[1:-1][:220]}"
        preview = _preview(args, raw)
        return f"{head}\n{preview}" if preview else head
    if name == "apply_patch":
        patch = _arg(args, "patch", "input") or (raw if "*** Begin Patch" in raw else "")
        files = patched_files(patch)
        if not summary and files:
            summary = files[0] if len(files) == 1 else f"{files[0]} (+{len(files) - 1} more)"
        head = _header("Edit", summary)
        if len(files) > 1:
            body = "\n".join(files[:6]) + (f"\n+{len(files) - 6} more files" if len(files) > 6 else "")
            return f"{head}\n{body}"
        if not files:
            preview = _preview(args, raw)
            return f"{head}\n{preview}" if preview else head
        return head
    if name == "spawn_agent":
        head = _header("Task", summary or _arg(args, "agent_type", "subagent_type") or "spawn_agent")
        prompt = _arg(args, "description", "message", "prompt")
        return f"{head}\n{prompt.split(chr(10), 1)[0][:220]}" if prompt else head
    if name == "update_plan" and type(args) is dict and type(args.get("plan")) is list:
        lines = ["[Todo List]"]
        for step in args["plan"]:
            if type(step) is dict:
                icon = _PLAN_ICONS.get(_arg(step, "status"), "○")
                lines.append(f"  {icon} {_arg(step, 'step')}")
        return "\n".join(lines)
    if name in ("web_search", "web_search_call"):
        return _header("WebSearch", summary or _arg(args, "query"))
    head = _header("Tool", name)
    detail = _label(summary) or _preview(args, raw)
    return f"{head}\n{detail}" if detail else head


def make_call(name: str, call_id: str, input_json: str | None) -> ToolCall:
    return ToolCall(
        call_index=0, tool_name=name, tool_use_id=call_id, category=tool_category(name), input_json=input_json
    )


def _exit_error(text: str) -> bool:
    # Shell outputs start with "Exit code: N" (older) or carry "Process exited with code N" (exec_command).
    head = text[:300]
    for marker in ("Exit code: ", "Process exited with code "):
        pos = head.find(marker)
        if pos >= 0:
            digits = head[pos + len(marker) :].split(None, 1)
            return bool(digits) and digits[0].isdigit() and digits[0] != "0"
    return False


def output_text(output: Any) -> tuple[str, bool]:
    """(result text, is_error) of a ``function_call_output``/``custom_tool_call_output``.

    A string is kept, except the ``{"output": ..., "metadata": {"exit_code": n}}``
    JSON envelope older Codex writes, whose ``output`` is unwrapped (the
    envelope is noise in a transcript; exit_code != 0 marks an error). Content
    item lists are joined like message content.
    """
    if type(output) is str:
        if output.startswith('{"output"'):
            try:
                env = orjson.loads(output)
            except orjson.JSONDecodeError:
                env = None
            if type(env) is dict and type(env.get("output")) is str:
                meta = env.get("metadata")
                code = meta.get("exit_code") if type(meta) is dict else None
                return env["output"], type(code) is int and code != 0
        return output, _exit_error(output)
    if type(output) is list:
        parts = []
        for item in output:
            if type(item) is dict:
                t = item.get("text")
                if type(t) is str:
                    parts.append(t)
                elif str(item.get("type", "")).endswith("image"):
                    parts.append("[Image]")
        return "\n".join(parts), False
    if type(output) is dict:
        content = output.get("content")
        if type(content) is str:
            return content, output.get("success") is False
        return orjson.dumps(output).decode(), output.get("success") is False
    if output is None:
        return "", False
    return orjson.dumps(output).decode(), False


def content_text(content: Any) -> str:
    """Text of a message item's ``content`` blocks (``input_text``/``output_text``/``text``), joined."""
    if type(content) is str:
        return content
    if type(content) is not list:
        return ""
    return "\n".join(
        b["text"]
        for b in content
        if type(b) is dict
        and type(b.get("text")) is str
        and b.get("type") in ("input_text", "output_text", "text")
        and b["text"]
    )


def uuid_from_stem(stem: str) -> str:
    """``rollout-<ts>-<uuid>`` -> ``<uuid>`` (the session id when a file has no meta line)."""
    tail = stem[-36:]
    if len(tail) == 36 and [i for i, c in enumerate(tail) if c == "-"] == [8, 13, 18, 23]:
        return tail
    return stem
