"""Codex subagent threads and forks: who the parent is, and which lines only replay it.

* **Links.** A subagent's rollout names its parent in ``session_meta``:
  ``source.subagent.thread_spawn.parent_thread_id`` (current) or
  ``thread_source: "subagent"`` + ``parent_thread_id`` (older). A fork names
  it in ``forked_from_id``, which wins when both appear. In the parent, the
  ``spawn_agent`` call is tied to the child thread by its output
  (``{"agent_id": …}``), by a ``collab_agent_spawn_end`` event (``call_id``,
  ``new_thread_id``) or by a ``sub_agent_activity`` event (``kind: started``,
  ``event_id`` = the call id, ``agent_thread_id``); the call's
  ``subagent_session_id`` becomes ``codex:<child thread>``.
* **Replayed history.** When Codex creates a fork or a subagent thread it
  copies the parent's transcript into the new rollout (re-stamped, token
  counts included), after the new thread's own ``session_meta``. Those lines
  are not the child's work: counted again they would duplicate the parent's
  messages and tokens. As agentsview does, they are recognised by their
  turns: a fork's replay starts at once, a subagent's at the copy of the
  parent's ``session_meta``; it ends at the first ``turn_context`` whose
  ``turn_id`` is not one of the parent's turns. The parent's turn ids come
  from its rollout, found by thread id next to the child (the dated tree, and
  ``sessions``/``archived_sessions`` side by side). Without the parent file,
  the replay starts only at the copy of the parent's ``session_meta`` and
  turn ids that are UUIDv7 still tell (a replayed turn was created before the
  child thread); otherwise nothing is suppressed: losing the child's own
  lines would be worse than showing the parent's twice.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

_TURN_CONTEXT = b'"turn_context"'
_TREE_NAMES = ("sessions", "archived_sessions")


def parent_thread(meta: dict[str, Any]) -> tuple[str | None, str]:
    """(parent thread id, relationship) named by a rollout's ``session_meta``."""
    forked = meta.get("forked_from_id")
    if type(forked) is str and forked.strip():
        return forked.strip(), "fork"
    source = meta.get("source")
    spawn = source.get("subagent") if type(source) is dict else None
    spawn = spawn.get("thread_spawn") if type(spawn) is dict else None
    parent = spawn.get("parent_thread_id") if type(spawn) is dict else None
    if not (type(parent) is str and parent.strip()) and meta.get("thread_source") == "subagent":
        parent = meta.get("parent_thread_id")
    if type(parent) is str and parent.strip():
        return parent.strip(), "subagent"
    return None, ""


def spawned_thread(output_text: str | None) -> str | None:
    """The child thread id in a ``spawn_agent`` call's output (``{"agent_id": "…"}``)."""
    if not output_text or not output_text.lstrip().startswith("{"):
        return None
    try:
        obj = orjson.loads(output_text)
    except orjson.JSONDecodeError:
        return None
    agent = obj.get("agent_id") if type(obj) is dict else None
    return agent.strip() if type(agent) is str and agent.strip() else None


def session_id(thread: str) -> str:
    return thread if thread.startswith("codex:") else f"codex:{thread}"


def _tree_root(path: Path) -> Path:
    """The folder above ``YYYY/MM/DD`` (or the file's own folder for a flat archive)."""
    root = path.parent
    for _ in range(3):
        if root.name.isdigit() and root.parent != root:
            root = root.parent
    return root


def find_rollout(near: Path, thread: str) -> Path | None:
    """The rollout of ``thread`` in the tree holding ``near`` (or its sessions/archive sibling)."""
    root = _tree_root(near)
    roots = [root]
    if root.name in _TREE_NAMES:
        roots += [root.parent / n for n in _TREE_NAMES if n != root.name]
    for r in roots:
        found = _rollouts(str(r), _mtime(r)).get(thread)
        if found is not None and found.is_file():
            return found
    return None


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


@lru_cache(maxsize=8)
def _rollouts(root: str, _mtime_ns: int) -> dict[str, Path]:
    """thread id -> rollout path below ``root`` (a walk, cached until the root changes)."""
    out: dict[str, Path] = {}
    try:
        for p in Path(root).rglob("rollout-*.jsonl"):
            stem = p.name.removesuffix(".jsonl")
            out[stem[-36:]] = p
    except OSError:
        pass
    return out


@lru_cache(maxsize=64)
def _turn_ids(path: str, _size: int, _mtime_ns: int) -> frozenset[str]:
    ids: set[str] = set()
    try:
        data = Path(path).read_bytes()
    except OSError:
        return frozenset()
    for raw in data.split(b"\n"):
        if _TURN_CONTEXT not in raw:
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        p = obj.get("payload") if type(obj) is dict and obj.get("type") == "turn_context" else None
        tid = p.get("turn_id") if type(p) is dict else None
        if type(tid) is str and tid:
            ids.add(tid)
    return frozenset(ids)


def parent_turn_ids(near: Path, thread: str) -> frozenset[str] | None:
    found = find_rollout(near, thread)
    if found is None:
        return None
    st = found.stat()
    return _turn_ids(str(found), st.st_size, st.st_mtime_ns)


def _v7_ms(value: str) -> int | None:
    try:
        u = uuid.UUID(value)
    except ValueError:
        return None
    return u.int >> 80 if u.version == 7 else None


class ReplayGate:
    """Decides, line by line, whether a fork's or subagent's line only replays its parent."""

    __slots__ = ("parent", "turns", "child_ms", "active")

    def __init__(self, parent: str, turns: frozenset[str] | None, child: str, *, fork: bool) -> None:
        self.parent = parent
        self.turns = turns
        self.child_ms = _v7_ms(child)
        # With the parent's turns known, a fork's replay starts at its first line (agentsview's
        # rule); without them only the copy of the parent's session_meta proves a replay begins.
        self.active = fork and turns is not None

    def _can_tell(self) -> bool:
        return self.turns is not None or self.child_ms is not None

    def copied_meta(self, meta: dict[str, Any]) -> None:
        """A later ``session_meta`` of the parent: the copied transcript starts here."""
        if meta.get("id") == self.parent and self._can_tell():
            self.active = True

    def replayed_turn(self, turn_id: Any) -> bool:
        """Whether a ``turn_context`` is the parent's; the first one that is not ends the replay."""
        if type(turn_id) is str and turn_id:
            if self.turns is not None:
                replayed = turn_id in self.turns
            else:
                ms = _v7_ms(turn_id)
                replayed = ms is not None and self.child_ms is not None and ms < self.child_ms
        else:
            replayed = False
        if not replayed:
            self.active = False
        return replayed
