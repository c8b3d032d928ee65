"""Fork detection over Claude Code's ``uuid``/``parentUuid`` tree.

agentsview's rule (``parseDAG``, ``forkThreshold = 3``): when every
user/assistant entry has a uuid, there is exactly one root and every
``parentUuid`` resolves to another user/assistant entry, the file is a tree.
At a node with several children, if the first child's subtree holds more than
3 user entries the other children start *fork* sessions; otherwise the
branching was a quick retry and only the last child is followed. Anything that
is not such a tree is processed linearly (all entries, file order).

One refinement, needed for real logs: Claude Code parents each tool_result
user line on the assistant fragment holding its tool_use, and the next
streamed fragment of the *same* ``message.id`` on the previous fragment, so a
response with parallel tool calls branches without being a fork. Children that
are tool-result-only user lines, ``isMeta``/``isCompactSummary`` lines, or
fragments sharing the parent's ``message.id`` are therefore "attached": always
followed, never counted as alternatives. Only the remaining children can fork.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

FORK_THRESHOLD = 3


@dataclass(slots=True)
class Entry:
    """One user/assistant line, as the DAG walk and message builder need it."""

    kind: str  # "user" | "assistant"
    obj: dict[str, Any]
    line_no: int
    uuid: str
    parent: str
    mid: str  # assistant message.id ("" for user lines)
    attached: bool  # tool-result-only / meta / compact-summary line
    timestamp: str | None


@dataclass(slots=True)
class Branch:
    indices: list[int]  # entry indices, file order
    parent_branch: int | None  # owning branch number for forks, None for the main one


def split_branches(entries: Sequence[Entry]) -> list[Branch]:
    """Main branch first, then forks; a single all-entries branch when not a clean tree."""
    linear = [Branch(list(range(len(entries))), None)]
    if not entries:
        return linear
    by_uuid: dict[str, int] = {}
    for i, e in enumerate(entries):
        if not e.uuid or e.uuid in by_uuid:  # duplicates would make cycles possible
            return linear
        by_uuid[e.uuid] = i
    roots = [i for i, e in enumerate(entries) if not e.parent]
    if len(roots) != 1:
        return linear
    children: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        if e.parent:
            if e.parent not in by_uuid:
                return linear
            children.setdefault(e.parent, []).append(i)

    branches: list[Branch] = []
    pending: list[tuple[int, int | None]] = [(roots[0], None)]
    while pending:
        start, owner = pending.pop(0)
        number = len(branches)
        branches.append(Branch([], owner))
        branches[number].indices = _walk(entries, children, start, number, pending)
    return branches


def _walk(
    entries: Sequence[Entry],
    children: dict[str, list[int]],
    start: int,
    number: int,
    pending: list[tuple[int, int | None]],
) -> list[int]:
    # Iterative: real sessions are chains thousands of entries deep.
    collected: list[int] = []
    seen: set[int] = set()
    stack = [start]
    while stack:
        cur = stack.pop()
        if cur in seen:
            continue
        seen.add(cur)
        collected.append(cur)
        kids = children.get(entries[cur].uuid)
        if not kids:
            continue
        parent = entries[cur]
        follow: list[int] = []
        alternatives: list[int] = []
        for k in kids:
            child = entries[k]
            if child.attached or (child.mid and child.mid == parent.mid):
                follow.append(k)
            else:
                alternatives.append(k)
        if len(alternatives) == 1:
            follow.append(alternatives[0])
        elif alternatives:
            if _count_user_entries(entries, children, alternatives[0]) <= FORK_THRESHOLD:
                follow.append(alternatives[-1])  # quick retry: the latest attempt wins
            else:
                follow.append(alternatives[0])
                pending.extend((k, number) for k in alternatives[1:])
        stack.extend(reversed(follow))
    collected.sort()
    return collected


def _count_user_entries(entries: Sequence[Entry], children: dict[str, list[int]], start: int) -> int:
    count = 0
    seen: set[int] = set()
    stack = [start]
    while stack:
        cur = stack.pop()
        if cur in seen:
            continue
        seen.add(cur)
        if entries[cur].kind == "user":
            count += 1
        stack.extend(children.get(entries[cur].uuid, ()))
    return count
