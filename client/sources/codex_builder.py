"""The state of one pass over a Codex rollout: messages, calls and usage as lines arrive.

See :mod:`client.sources.codex` for the rules it implements (one assistant
message per model response, usage counted once, results paired by call id,
system-injected user messages dropped) and :mod:`codex_lineage` for subagent
links.
"""

from __future__ import annotations

from typing import Any

import orjson

from client.model import Message, ToolCall, Usage

from .codex_lineage import ReplayGate, session_id, spawned_thread
from .codex_tools import content_text, format_call, make_call, output_text, parse_arguments

SYSTEM_PREFIXES: tuple[str, ...] = (
    "# AGENTS.md",
    "<environment_context>",
    "<user_instructions>",
    "<INSTRUCTIONS>",
    "<turn_aborted>",
    "<skill>",
    "<subagent_notification>",
)
CALLS = frozenset({"function_call", "custom_tool_call", "local_shell_call", "web_search_call"})
OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output"})
ITEMS = CALLS | OUTPUTS | {"message", "reasoning"}


def _int(v: Any) -> int:
    return v if type(v) is int and v > 0 else 0


def add_usage(msg: Message, u: Usage) -> None:
    if msg.usage is None:
        msg.usage = u
        return
    msg.usage.input_tokens += u.input_tokens
    msg.usage.output_tokens += u.output_tokens
    msg.usage.cache_read_tokens += u.cache_read_tokens


def _append(msg: Message, text: str, block: dict[str, Any]) -> None:
    msg.content = f"{msg.content}\n{text}" if msg.content else text
    if msg.blocks is None:
        msg.blocks = []
    msg.blocks.append(block)


class Builder:
    """State of the single pass over one rollout."""

    __slots__ = (
        "messages",
        "cur",
        "turn_last",
        "pending",
        "last_usage_key",
        "calls",
        "early",
        "model",
        "meta",
        "first",
        "last",
        "first_user",
        "replay_possible",
        "user_turns",
        "links",
        "gate",
    )

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.cur: Message | None = None  # assistant response being built
        self.turn_last: Message | None = None  # last assistant message since the last user message
        self.pending: Usage | None = None  # counted usage with no message to land on yet
        self.last_usage_key: Any = None
        self.calls: dict[str, ToolCall] = {}
        self.early: dict[str, tuple[str, bool]] = {}  # outputs seen before their call
        self.model: str | None = None
        self.meta: dict[str, Any] | None = None
        self.first: str | None = None
        self.last: str | None = None
        self.first_user: str | None = None
        self.replay_possible = False
        self.user_turns = 0
        self.links: dict[str, str] = {}  # spawn call id -> child thread, seen before the call
        self.gate: ReplayGate | None = None

    # -- lines -------------------------------------------------------------------------
    def item(self, p: dict[str, Any], ts: str | None) -> None:
        kind = p.get("type")
        # Most frequent kinds first: calls, outputs and reasoning outnumber messages.
        if kind in CALLS:
            self._call(kind, p, ts)
        elif kind in OUTPUTS:
            cid = p.get("call_id")
            if type(cid) is str and cid:
                res = output_text(p.get("output"))
                call = self.calls.get(cid)
                if call is None:
                    self.early.setdefault(cid, res)
                elif call.result_content is None:
                    call.result_content, call.result_is_error = res
                if call is None or call.tool_name == "spawn_agent":
                    self._spawned(cid, res[0])
            self.cur = None  # the next assistant item belongs to a new model response
        elif kind == "reasoning":
            text = self._reasoning(p)
            if text:
                m = self._open(ts)
                _append(m, f"[Thinking]\n{text}\n[/Thinking]", {"type": "thinking", "text": text})
                m.has_thinking = True
        elif kind == "message" or (kind is None and "role" in p):  # agentsview's fixtures omit "type"
            role = p.get("role")
            if role == "assistant":
                text = content_text(p.get("content"))
                if text.strip():
                    _append(self._open(ts), text, {"type": "text", "text": text})
            elif role == "user":
                self._user(content_text(p.get("content")), ts)

    def token_count(self, p: dict[str, Any]) -> None:
        info = p.get("info")
        if type(info) is not dict:
            return
        last = info.get("last_token_usage")
        if type(last) is not dict:
            return
        total = info.get("total_token_usage")
        key = total if type(total) is dict else last
        if key == self.last_usage_key:
            return  # a re-emitted event: same running total, no new tokens
        self.last_usage_key = key
        inp, cached = _int(last.get("input_tokens")), _int(last.get("cached_input_tokens"))
        u = Usage(
            input_tokens=max(inp - cached, 0),
            output_tokens=_int(last.get("output_tokens")),
            cache_read_tokens=cached,
        )
        if self.cur is not None:
            add_usage(self.cur, u)
            self.cur = None
        elif self.turn_last is not None and self.turn_last.usage is None:
            add_usage(self.turn_last, u)
        elif self.pending is None:
            self.pending = u
        else:
            self.pending.input_tokens += u.input_tokens
            self.pending.output_tokens += u.output_tokens
            self.pending.cache_read_tokens += u.cache_read_tokens

    def compacted(self, text: Any, ts: str | None) -> None:
        # Kept as a system message, like the Claude parser's compaction summaries.
        if type(text) is str and text.strip():
            self.cur = self.turn_last = None
            self.messages.append(
                Message(
                    ordinal=len(self.messages),
                    role="system",
                    content=text,
                    timestamp=ts,
                    is_system=True,
                    blocks=[{"type": "text", "text": text}],
                )
            )

    def link(self, call_id: Any, thread: Any) -> None:
        """The call ``call_id`` started child thread ``thread`` (events may precede the call)."""
        if type(call_id) is not str or not call_id or type(thread) is not str or not thread.strip():
            return
        call = self.calls.get(call_id)
        if call is None:
            self.links[call_id] = thread.strip()
        elif call.subagent_session_id is None:
            call.subagent_session_id = session_id(thread.strip())

    # -- helpers -----------------------------------------------------------------------
    def _spawned(self, call_id: str, output: str | None) -> None:
        thread = spawned_thread(output)
        if thread is not None:
            self.link(call_id, thread)

    def _open(self, ts: str | None) -> Message:
        if self.cur is None:
            m = Message(
                ordinal=len(self.messages),
                role="assistant",
                content="",
                timestamp=ts,
                model=self.model,
                blocks=[],
            )
            if self.pending is not None:
                m.usage, self.pending = self.pending, None
            self.messages.append(m)
            self.cur = self.turn_last = m
        return self.cur

    def _user(self, text: str, ts: str | None) -> None:
        stripped = text.strip()
        if not stripped:
            return
        if stripped.startswith("<turn_aborted>"):
            self.replay_possible = self.first_user is not None and self.user_turns == 1
        if stripped.startswith(SYSTEM_PREFIXES):
            return
        if text == self.first_user and self.replay_possible:
            self.replay_possible = False
            return  # Codex re-sent the first prompt after an aborted turn
        self.replay_possible = False
        if self.first_user is None:
            self.first_user = text
        self.user_turns += 1
        self.cur = self.turn_last = None
        self.messages.append(
            Message(
                ordinal=len(self.messages),
                role="user",
                content=text,
                timestamp=ts,
                blocks=[{"type": "text", "text": text}],
            )
        )

    @staticmethod
    def _reasoning(p: dict[str, Any]) -> str:
        for key in ("summary", "content"):
            parts = p.get(key)
            if type(parts) is list:
                texts = [
                    b["text"] for b in parts if type(b) is dict and type(b.get("text")) is str and b["text"]
                ]
                if texts:
                    return "\n\n".join(texts)
        return ""

    def _call(self, kind: str, p: dict[str, Any], ts: str | None) -> None:
        if kind == "local_shell_call":
            name, args, raw = "local_shell", p.get("action"), ""
            input_json = orjson.dumps(args).decode() if type(args) is dict else None
        elif kind == "web_search_call":
            name, args, raw = "web_search", p.get("action"), ""
            input_json = orjson.dumps(args).decode() if type(args) is dict else None
        else:
            called = p.get("name")
            if type(called) is not str or not called:
                return
            name = called
            args, raw, input_json = parse_arguments(p)
        summary = p.get("summary")
        text = format_call(name, summary if type(summary) is str else "", args, raw)
        cid = p.get("call_id") or p.get("id")
        cid = cid if type(cid) is str else ""
        call = make_call(name, cid, input_json)
        m = self._open(ts)
        call.call_index = len(m.tool_calls)
        m.tool_calls.append(call)
        m.has_tool_use = True
        _append(m, text, {"type": "tool_use", "id": cid, "name": name})
        if cid:
            self.calls.setdefault(cid, call)
            res = self.early.pop(cid, None)
            if res is not None:
                call.result_content, call.result_is_error = res
            thread = self.links.pop(cid, None)
            if thread is not None:
                call.subagent_session_id = session_id(thread)
