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
* ``session_meta``: id, cwd, ``git.branch``, originator, and the parent
  thread of a fork (``forked_from_id`` -> ``relationship="fork"``) or of a
  subagent thread (-> ``"subagent"``); ``spawn_agent`` calls are linked to the
  child thread, and a child's copy of its parent's transcript is skipped
  (:mod:`codex_lineage`). ``originator == "codex_exec"`` (``codex exec``
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
* Robustness as in :mod:`client.sources.claude`: invalid UTF-8 and lone
  surrogates are repaired, lines that are not JSON even so become
  :class:`ParseProblem` and are skipped, a cut-off last line is tolerated
  silently, an unreadable file is one problem, no messages -> no session.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from client.model import ParseProblem, Session
from client.project import project_name
from client.sources.base import Source
from client.sources.decoding import NotJSON, loads_repaired
from client.sources.paths import anywhere
from client.sources.reading import gc_paused, read_log

from .codex_builder import ITEMS, Builder, add_usage
from .codex_lineage import (
    ReplayGate,
    find_rollout,
    parent_thread,
    parent_turn_ids,
    session_id,
)
from .codex_tools import uuid_from_stem

_loads = orjson.loads
_JSONError = orjson.JSONDecodeError

_TS_PREFIX = b'{"timestamp":"'
_EVENT_MID = b'","type":"event_msg","payload":{"type":"'
_EVENT_AT = 38 + len(_EVENT_MID)  # where the event type starts after a 24-char timestamp
_EVENTS_USED = frozenset({b"token_count", b"turn_aborted", b"collab_agent_spawn_end", b"sub_agent_activity"})


def codex_sessions_dir() -> Path:
    """`$CODEX_SESSIONS_DIR`, else `~/.codex/sessions`."""
    return SOURCE.default_root()


def discover_codex_files(root: Path) -> list[Path]:
    """Every ``rollout-*.jsonl`` below ``root`` (any date depth), sorted."""
    try:
        return sorted(p for p in Path(root).rglob("rollout-*.jsonl") if p.is_file())
    except OSError:
        return []


def parse_codex_file(path: Path, *, include_exec: bool = False) -> tuple[list[Session], list[ParseProblem]]:
    if not isinstance(path, Path):
        path = Path(path)  # Path(Path) re-parses the string: measurable on small files
    spath = str(path)
    data = read_log(spath)
    if isinstance(data, ParseProblem):
        return [], [data]
    problems: list[ParseProblem] = []
    with gc_paused():
        b = _scan(data, path, spath, problems)
    return _session(path, spath, b, include_exec), problems


def _scan(data: bytes, path: Path, spath: str, problems: list[ParseProblem]) -> Builder:
    b = Builder()
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
            try:
                obj = loads_repaired(raw)  # invalid UTF-8 or a lone surrogate: repaired, kept
            except NotJSON:
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
        gate = b.gate
        if gate is not None and gate.active and kind != "session_meta":
            # A fork's or subagent's copy of its parent's transcript: not this thread's work.
            if kind != "turn_context" or type(p) is not dict or gate.replayed_turn(p.get("turn_id")):
                continue
        if type(p) is not dict:
            if kind in ITEMS:
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
            elif ev == "collab_agent_spawn_end":
                b.link(p.get("call_id"), p.get("new_thread_id"))
            elif ev == "sub_agent_activity" and p.get("kind") == "started":
                b.link(p.get("event_id"), p.get("agent_thread_id"))
        elif kind == "turn_context":
            model = p.get("model")
            if type(model) is str and model:
                b.model = model
        elif kind == "session_meta":
            if b.meta is None:
                b.meta = p
                b.gate = _gate(p, path)
            elif b.gate is not None:
                b.gate.copied_meta(p)
        elif kind == "compacted":
            b.compacted(p.get("message"), ts)
    b.first, b.last = first or None, last or None
    return b


def _gate(meta: dict[str, Any], path: Path) -> ReplayGate | None:
    parent, relationship = parent_thread(meta)
    child = meta.get("id")
    if parent is None or type(child) is not str:
        return None
    return ReplayGate(parent, parent_turn_ids(path, parent), child, fork=relationship == "fork")


def _session(path: Path, spath: str, b: Builder, include_exec: bool) -> list[Session]:
    meta = b.meta or {}
    if meta.get("originator") == "codex_exec" and not include_exec:
        return []
    if b.pending is not None and b.messages:
        last_asst = next((m for m in reversed(b.messages) if m.role == "assistant"), None)
        if last_asst is not None:
            add_usage(last_asst, b.pending)
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
    parent, relationship = parent_thread(meta)
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
            parent_session_id=session_id(parent) if parent else None,
            relationship="fork" if relationship == "fork" else "subagent" if parent else "",
            messages=messages,
        )
    ]


def codex_dependencies(path: Path, sessions: Sequence[Session]) -> list[Path]:
    """A fork's or subagent's parse reads its parent's turn ids (to skip the replayed copy)."""
    out = []
    for s in sessions:
        if s.parent_session_id:
            found = find_rollout(path, s.parent_session_id.removeprefix("codex:"))
            if found is not None:
                out.append(found)
    return out


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
        depends=codex_dependencies,
    )


SOURCE = source()
