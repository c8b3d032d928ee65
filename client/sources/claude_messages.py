"""Build :class:`Message` lists from Claude Code user/assistant entries.

Rules (agentsview 5.1 plus av-cloud's choices):

* Assistant fragments sharing ``message.id`` become ONE message, placed where
  the first fragment was, even when tool_result lines sit between fragments
  (real logs do that with parallel tool calls). Blocks are concatenated in
  order; a block repeated by a cumulative snapshot (same tool_use id or same
  text) is kept once, and a text that extends an earlier text replaces it.
* Usage is taken ONCE per ``message.id``: from the last fragment, whose usage
  is cumulative (each fragment repeats/grows it; summing would overcount).
* User lines: ``isMeta`` skipped; tool-result-only lines produce no message;
  text starting with a system-noise prefix is **skipped** (as agentsview #167)
  so the transcript and ``first_message`` show what the human typed.
* ``isCompactSummary`` lines are kept as ``role="system", is_system=True``
  with the summary as content, so the viewer can show where compaction happened.
* A message whose content is empty and that has no tool calls is dropped
  (e.g. a response made only of redacted thinking).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from client.model import Message, ToolCall, Usage
from client.sources.claude_blocks import block_key, format_tool_use, make_tool_call

from .claude_dag import Entry

NOISE_PREFIXES: tuple[str, ...] = (
    "This session is being continued",
    "[Request interrupted",
    "<task-notification>",
    "<command-message>",
    "<command-name>",
    "<local-command-",
    "Stop hook feedback:",
)


def _int(v: Any) -> int:
    return v if type(v) is int and v > 0 else 0


def usage_from(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return Usage(
        input_tokens=_int(raw.get("input_tokens")),
        output_tokens=_int(raw.get("output_tokens")),
        cache_creation_tokens=_int(raw.get("cache_creation_input_tokens")),
        cache_read_tokens=_int(raw.get("cache_read_input_tokens")),
    )


def user_text(content: Any) -> str:
    """Text a user line carries: the string, or its text blocks joined (tool results ignored)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            b["text"]
            for b in content
            if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
        ]
        return "\n".join(parts)
    return ""


class _Assistant:
    """Accumulates the fragments of one assistant response."""

    __slots__ = ("msg", "blocks", "keys")

    def __init__(self, msg: Message) -> None:
        self.msg = msg
        self.blocks: list[dict[str, Any]] = []
        self.keys: set[tuple[str, str]] = set()

    def add(self, content: Any) -> None:
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        if not isinstance(content, list):
            return
        for b in content:
            if not isinstance(b, dict):
                continue
            t = b.get("type")
            if t not in ("text", "thinking", "tool_use"):
                continue  # e.g. redacted_thinking, server tool blocks: nothing to show
            key = block_key(b)
            if key in self.keys:
                continue
            if t == "text" and self._extends_text(key[1]):
                continue
            self.keys.add(key)
            if t == "tool_use":
                call = make_tool_call(b)
                inp = b.get("input")
                text = format_tool_use(call.tool_name, inp if isinstance(inp, dict) else {})
                self.blocks.append(
                    {
                        "type": "tool_use",
                        "id": call.tool_use_id,
                        "name": call.tool_name,
                        "_call": call,
                        "_text": text,
                    }
                )
            else:
                self.blocks.append({"type": t, "text": key[1]})

    def _extends_text(self, text: str) -> bool:
        # Cumulative snapshots resend a growing text block: replace the shorter one.
        for i in range(len(self.blocks) - 1, -1, -1):
            blk = self.blocks[i]
            if blk["type"] == "text":
                old = blk["text"]
                if old and text.startswith(old):
                    self.keys.discard(("text", old))
                    self.keys.add(("text", text))
                    blk["text"] = text
                    return True
                return False
        return False


def build_messages(
    entries: Iterable[Entry],
    results: dict[str, tuple[str, bool]],
    subagents: dict[str, str],
) -> list[Message]:
    out: list[Message] = []
    open_msgs: dict[str, _Assistant] = {}
    builders: list[_Assistant] = []
    for e in entries:
        obj = e.obj
        raw_msg = obj.get("message")
        msg: dict[str, Any] = raw_msg if isinstance(raw_msg, dict) else {}
        if obj.get("isCompactSummary"):
            text = user_text(msg.get("content"))
            out.append(
                Message(
                    ordinal=0,
                    role="system",
                    content=text,
                    timestamp=e.timestamp,
                    is_system=True,
                    blocks=[{"type": "text", "text": text}],
                )
            )
            continue
        if obj.get("isMeta"):
            continue
        if e.kind == "user":
            text = user_text(msg.get("content"))
            if not text.strip() or text.lstrip().startswith(NOISE_PREFIXES):
                continue
            out.append(
                Message(
                    ordinal=0,
                    role="user",
                    content=text,
                    timestamp=e.timestamp,
                    blocks=[{"type": "text", "text": text}],
                )
            )
            continue
        b = open_msgs.get(e.mid) if e.mid else None
        if b is None:
            m = Message(
                ordinal=0, role="assistant", content="", timestamp=e.timestamp, message_key=e.mid or None
            )
            b = _Assistant(m)
            builders.append(b)
            out.append(m)
            if e.mid:
                open_msgs[e.mid] = b
        model = msg.get("model")
        if isinstance(model, str) and model and b.msg.model is None:
            b.msg.model = model
        usage = usage_from(msg.get("usage"))
        if usage is not None:
            b.msg.usage = usage  # last fragment wins: its usage is the cumulative total
        b.add(msg.get("content"))

    for b in builders:
        _finish(b, results, subagents)
    kept = [m for m in out if m.content.strip() or m.tool_calls]
    for i, m in enumerate(kept):
        m.ordinal = i
    return kept


def _finish(b: _Assistant, results: dict[str, tuple[str, bool]], subagents: dict[str, str]) -> None:
    parts: list[str] = []
    blocks: list[dict[str, Any]] = []
    calls: list[ToolCall] = []
    for blk in b.blocks:
        t = blk["type"]
        if t == "text":
            if blk["text"]:
                parts.append(blk["text"])
                blocks.append(blk)
        elif t == "thinking":
            if blk["text"]:
                parts.append(f"[Thinking]\n{blk['text']}\n[/Thinking]")
                blocks.append(blk)
                b.msg.has_thinking = True
        else:
            call: ToolCall = blk.pop("_call")
            call.call_index = len(calls)
            if call.tool_use_id:
                res = results.get(call.tool_use_id)
                if res is not None:
                    call.result_content, call.result_is_error = res
                call.subagent_session_id = subagents.get(call.tool_use_id)
            calls.append(call)
            parts.append(blk.pop("_text"))
            blocks.append(blk)
    b.msg.content = "\n".join(parts)
    b.msg.blocks = blocks
    b.msg.tool_calls = calls
    b.msg.has_tool_use = bool(calls)
