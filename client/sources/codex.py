"""Codex CLI rollout parser (agentsview section 5.2, plus what agentsview HEAD reads).

Layout: ``<sessions>/YYYY/MM/DD/rollout-<timestamp>-<uuid>.jsonl``; one file is
one session, id ``codex:<session_meta.payload.id>`` (the file's uuid if the
meta line is missing). Each line is ``{timestamp, type, payload}``.

Design:

* One pass over the bytes read once, ``orjson.loads`` per line, dispatch on
  ``type`` with plain comparisons (same speed budget as the Claude parser).
  ``event_msg`` lines other than ``token_count`` / ``turn_aborted`` (a third of
  a rollout, repeating response items) are recognised by Codex's fixed
  ``{"timestamp":…,"type":"event_msg","payload":{"type":…`` prefix and not
  decoded; only their timestamp is read (so a broken one goes unreported).
* Session start / end are the first / last line timestamps (Codex appends in
  time order; agentsview does the same), ``created_at`` the meta's timestamp.
* ``session_meta``: id, cwd, ``git.branch``, originator, ``forked_from_id``
  (-> ``relationship="fork"``). ``originator == "codex_exec"`` (``codex exec``
  one-shots, usually scripted) drops the session unless ``include_exec=True``.
  The first meta wins: a forked rollout replays its parent's meta after its own.
* ``turn_context.model`` is the model of the assistant messages that follow.
* ``response_item``: ``message`` (user / assistant text), ``reasoning``
  (summary texts, else reasoning content, as a thinking block), tool calls
  (``function_call``, ``custom_tool_call``, ``local_shell_call``,
  ``web_search_call``) and their outputs (``function_call_output``,
  ``custom_tool_call_output``) paired by ``call_id`` wherever they appear.
* One assistant :class:`Message` per model response: reasoning, text and calls
  accumulate into the open message; a ``token_count`` event, a tool output or a
  user message closes it (the model cannot continue a response after its own
  tool output, so this also splits old logs without token counts correctly).
* Usage: ``event_msg`` ``token_count`` ``info.last_token_usage`` goes on the
  response it closes, else on the last assistant message of the turn that has
  none, else it waits for the next assistant message; so every counted event
  lands exactly once. ``total_token_usage`` is never summed: it only detects
  the duplicate events Codex re-emits (same total = no new tokens -> skipped).
  Codex's ``input_tokens`` includes the cached part: stored as
  ``input - cached`` + ``cache_read = cached`` (agentsview does the same).
* ``compacted`` lines (context compaction) are kept as ``role="system"``,
  ``is_system=True`` messages holding the summary, as the Claude parser does.
* ``event_msg`` ``user_message`` / ``agent_message`` / ``agent_reasoning``
  repeat response items and are ignored.
* System-injected user messages (``# AGENTS.md``, ``<environment_context>``,
  ``<user_instructions>``, ``<INSTRUCTIONS>``, ``<turn_aborted>``, ``<skill>``,
  ``<subagent_notification>``) are **dropped**, as agentsview does and as the
  Claude parser drops its noise, so message counts and ``first_message`` match
  agentsview; ``developer``-role items are ignored. The first prompt that Codex
  replays verbatim after an aborted turn is dropped once (agentsview HEAD).
* Legacy rollouts (no envelope: a first ``{id, timestamp, instructions}`` line,
  then bare response items) are read too.
* Robustness as in :mod:`client.sources.claude`: malformed lines become
  :class:`ParseProblem` and are skipped, a cut-off last line is tolerated
  silently, an unreadable file is one problem, no messages -> no session.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import orjson

from client.model import Message, ParseProblem, Session, ToolCall, Usage
from client.project import project_name
from client.sources.base import Source
from client.sources.paths import anywhere
from client.sources.reading import gc_paused, read_log

from .codex_tools import content_text, format_call, make_call, output_text, parse_arguments, uuid_from_stem

_loads = orjson.loads
_JSONError = orjson.JSONDecodeError

SYSTEM_PREFIXES: tuple[str, ...] = (
    "# AGENTS.md",
    "<environment_context>",
    "<user_instructions>",
    "<INSTRUCTIONS>",
    "<turn_aborted>",
    "<skill>",
    "<subagent_notification>",
)
_CALLS = frozenset({"function_call", "custom_tool_call", "local_shell_call", "web_search_call"})
_OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output"})
_ITEMS = _CALLS | _OUTPUTS | {"message", "reasoning"}
_TS_PREFIX = b'{"timestamp":"'
_EVENT_MID = b'","type":"event_msg","payload":{"type":"'
_EVENT_AT = 38 + len(_EVENT_MID)  # where the event type starts after a 24-char timestamp
_EVENTS_USED = frozenset({b"token_count", b"turn_aborted"})


def codex_sessions_dir() -> Path:
    """`$CODEX_SESSIONS_DIR`, else `~/.codex/sessions`."""
    return SOURCE.default_root()


def discover_codex_files(root: Path) -> list[Path]:
    """Every ``rollout-*.jsonl`` below ``root`` (any date depth), sorted."""
    try:
        return sorted(p for p in Path(root).rglob("rollout-*.jsonl") if p.is_file())
    except OSError:
        return []


def _int(v: Any) -> int:
    return v if type(v) is int and v > 0 else 0


def _add_usage(msg: Message, u: Usage) -> None:
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


class _Builder:
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

    # -- lines -------------------------------------------------------------------------
    def item(self, p: dict[str, Any], ts: str | None) -> None:
        kind = p.get("type")
        # Most frequent kinds first: calls, outputs and reasoning outnumber messages.
        if kind in _CALLS:
            self._call(kind, p, ts)
        elif kind in _OUTPUTS:
            cid = p.get("call_id")
            if type(cid) is str and cid:
                res = output_text(p.get("output"))
                call = self.calls.get(cid)
                if call is None:
                    self.early.setdefault(cid, res)
                elif call.result_content is None:
                    call.result_content, call.result_is_error = res
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
            _add_usage(self.cur, u)
            self.cur = None
        elif self.turn_last is not None and self.turn_last.usage is None:
            _add_usage(self.turn_last, u)
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

    # -- helpers -----------------------------------------------------------------------
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


def parse_codex_file(path: Path, *, include_exec: bool = False) -> tuple[list[Session], list[ParseProblem]]:
    if not isinstance(path, Path):
        path = Path(path)  # Path(Path) re-parses the string: measurable on small files
    spath = str(path)
    data = read_log(spath)
    if isinstance(data, ParseProblem):
        return [], [data]
    problems: list[ParseProblem] = []
    with gc_paused():
        b = _scan(data, spath, problems)
    return _session(path, spath, b, include_exec), problems


def _scan(data: bytes, spath: str, problems: list[ParseProblem]) -> _Builder:
    b = _Builder()
    item, token_count = b.item, b.token_count  # bound once: this loop runs per line
    first = last = ""
    lines = data.split(b"\n")
    last_index = len(lines) - 1
    while last_index > 0 and not lines[last_index].strip():
        last_index -= 1
    for idx, raw in enumerate(lines):
        if not raw:
            continue
        if raw.startswith(_EVENT_MID, 38) and raw.startswith(_TS_PREFIX):
            # event_msg lines we do not use (agent_message, agent_reasoning, user_message... repeat
            # response items) are recognised by Codex's fixed layout - key order and a 24-char
            # timestamp - and not decoded: only their timestamp counts. Anything else, or
            # anything not matching exactly, takes the normal path.
            if raw[_EVENT_AT : raw.find(b'"', _EVENT_AT)] not in _EVENTS_USED and b"\\" not in raw[14:38]:
                event_ts = raw[14:38].decode("ascii", "replace")
                if not first:
                    first = event_ts
                last = event_ts
                continue
        try:
            obj = _loads(raw)
        except _JSONError:
            if raw.strip() and idx != last_index:  # a cut-off last line is a write in progress
                problems.append(ParseProblem(spath, idx + 1, "malformed JSON line"))
            continue
        if type(obj) is not dict:
            problems.append(ParseProblem(spath, idx + 1, "line is not a JSON object"))
            continue
        ts: str | None = obj.get("timestamp")
        if type(ts) is str and ts:
            if not first:
                first = ts
            last = ts  # Codex appends in time order: first and last line bound the session
        else:
            ts = None
        kind = obj.get("type")
        p = obj.get("payload")
        if type(p) is not dict:
            if kind in _ITEMS:
                item(obj, ts)  # legacy rollout: bare response item
            elif kind is None and b.meta is None and type(obj.get("id")) is str:
                b.meta = obj  # legacy rollout header line
            elif kind in ("session_meta", "response_item", "turn_context", "event_msg"):
                problems.append(ParseProblem(spath, idx + 1, f"{kind} line without a payload object"))
            continue
        if kind == "response_item":
            item(p, ts)
        elif kind == "event_msg":
            ev = p.get("type")
            if ev == "token_count":
                token_count(p)
            elif ev == "turn_aborted":
                b.replay_possible = b.first_user is not None and b.user_turns == 1
        elif kind == "turn_context":
            model = p.get("model")
            if type(model) is str and model:
                b.model = model
        elif kind == "session_meta":
            if b.meta is None:
                b.meta = p
        elif kind == "compacted":
            b.compacted(p.get("message"), ts)
    b.first, b.last = first or None, last or None
    return b


def _session(path: Path, spath: str, b: _Builder, include_exec: bool) -> list[Session]:
    meta = b.meta or {}
    if meta.get("originator") == "codex_exec" and not include_exec:
        return []
    if b.pending is not None and b.messages:
        last_asst = next((m for m in reversed(b.messages) if m.role == "assistant"), None)
        if last_asst is not None:
            _add_usage(last_asst, b.pending)
    messages = [m for m in b.messages if m.content.strip() or m.tool_calls]
    if not messages:
        return []
    for i, m in enumerate(messages):
        m.ordinal = i
    sid = meta.get("id")
    sid = sid if type(sid) is str and sid else uuid_from_stem(path.name.removesuffix(".jsonl"))
    cwd = meta.get("cwd")
    cwd = cwd if type(cwd) is str and cwd else None
    git = meta.get("git")
    branch = git.get("branch") if type(git) is dict else None
    forked = meta.get("forked_from_id")
    created = meta.get("timestamp")
    return [
        Session(
            session_id=f"codex:{sid}",
            agent="codex",
            project=project_name(cwd),
            cwd=cwd,
            git_branch=branch if type(branch) is str and branch else None,
            source_path=spath,
            first_message=b.first_user.replace("\n", " ")[:300] if b.first_user is not None else None,
            created_at=created if type(created) is str and created else b.first,
            started_at=b.first,
            ended_at=b.last,
            parent_session_id=f"codex:{forked}" if type(forked) is str and forked else None,
            relationship="fork" if type(forked) is str and forked else "",
            messages=messages,
        )
    ]


def source(*, include_exec: bool = False) -> Source:
    """Codex rollouts; ``codex exec`` one-shots only when asked for."""
    return Source(
        name="codex",
        label="Codex",
        env_var="CODEX_SESSIONS_DIR",
        # `codex archive` moves a rollout from the dated tree to archived_sessions.
        locations=(anywhere(".codex/sessions"), anywhere(".codex/archived_sessions")),
        discover=discover_codex_files,
        parse=partial(parse_codex_file, include_exec=include_exec),
    )


SOURCE = source()
