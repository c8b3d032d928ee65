"""Codex subagent threads and forks: linked both ways, and the parent's copied history skipped."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from client.sources.codex import codex_dependencies, parse_codex_file
from tests.client import codex_lines as cx

T0 = 1_767_607_200_000  # 2026-01-05T10:00:00Z in ms
PARENT = cx.v7(T0 - 3_600_000, 1)
CHILD = cx.v7(T0, 2)
PARENT_TURN = cx.v7(T0 - 3_000_000, 3)
CHILD_TURN = cx.v7(T0 + 1_000, 4)


def ts(sec: int) -> str:
    return f"2026-01-05T10:00:{sec:02d}.000Z"


def day(root: Path) -> Path:
    return root / "2026" / "01" / "05"


def parse(path: Path):
    sessions, problems = parse_codex_file(path)
    assert problems == []
    (s,) = sessions
    return s


def spawn_lines(*after_call: dict) -> list[dict]:
    return [
        cx.meta(sid=PARENT),
        cx.turn_context(turn_id=PARENT_TURN),
        cx.user("explore the repo with a helper"),
        cx.function_call("call_spawn", "spawn_agent", {"message": "map the repo", "agent_type": "explorer"}),
        *after_call,
        cx.assistant("the helper is on it"),
    ]


def spawn_call(tmp_path: Path, lines: list[dict]):
    s = parse(cx.write(day(tmp_path) / f"rollout-2026-01-05T09-00-00-{PARENT}.jsonl", lines))
    (call,) = [c for m in s.messages for c in m.tool_calls]
    return call


@pytest.mark.parametrize(
    "link",
    [
        cx.function_output("call_spawn", orjson.dumps({"agent_id": CHILD, "nickname": "Einstein"}).decode()),
        cx.event(
            "collab_agent_spawn_end",
            call_id="call_spawn",
            sender_thread_id=PARENT,
            new_thread_id=CHILD,
            new_agent_nickname="Einstein",
            status="pending_init",
        ),
        cx.event(
            "sub_agent_activity", **{"kind": "started", "event_id": "call_spawn", "agent_thread_id": CHILD}
        ),
    ],
    ids=["spawn output", "collab_agent_spawn_end", "sub_agent_activity"],
)
def test_the_spawn_call_links_to_the_child_thread(tmp_path: Path, link: dict) -> None:
    call = spawn_call(tmp_path, spawn_lines(link))
    assert (call.tool_name, call.category, call.subagent_session_id) == (
        "spawn_agent",
        "task",
        f"codex:{CHILD}",
    )


def test_a_link_event_before_its_call_still_links(tmp_path: Path) -> None:
    lines = spawn_lines()
    early = cx.event("collab_agent_spawn_end", call_id="call_spawn", new_thread_id=CHILD)
    call = spawn_call(tmp_path, [*lines[:3], early, *lines[3:]])
    assert call.subagent_session_id == f"codex:{CHILD}"


def test_activity_other_than_started_and_incomplete_events_link_nothing(tmp_path: Path) -> None:
    call = spawn_call(
        tmp_path,
        spawn_lines(
            cx.event(
                "sub_agent_activity",
                **{"kind": "finished", "event_id": "call_spawn", "agent_thread_id": CHILD},
            ),
            cx.event("collab_agent_spawn_end", call_id="call_spawn", new_thread_id=""),
            cx.function_output("call_spawn", "spawned"),
        ),
    )
    assert call.subagent_session_id is None and call.result_content == "spawned"


@pytest.mark.parametrize("legacy", [False, True], ids=["thread_spawn", "thread_source"])
def test_a_child_names_its_parent(tmp_path: Path, legacy: bool) -> None:
    path = cx.write(
        day(tmp_path) / f"rollout-2026-01-05T10-00-00-{CHILD}.jsonl",
        [cx.subagent_meta(CHILD, PARENT, legacy=legacy), cx.user("map the repo"), cx.assistant("done")],
    )
    s = parse(path)
    assert (s.session_id, s.parent_session_id, s.relationship) == (
        f"codex:{CHILD}",
        f"codex:{PARENT}",
        "subagent",
    )


def child_lines(*, parent_turn: str = PARENT_TURN, child_turn: str = CHILD_TURN) -> list[dict]:
    """A subagent rollout as Codex writes it: its meta, then a re-stamped copy of the parent's transcript."""
    return [
        cx.subagent_meta(CHILD, PARENT, ts(0)),
        cx.meta(ts(0), sid=PARENT),  # the copied parent meta: the replay starts here
        cx.turn_context(ts=ts(0), turn_id=parent_turn),
        cx.user("replayed parent question", ts(0)),
        cx.assistant("replayed parent answer", ts(0)),
        cx.token_count(50_000, 9_000, 900, total=(50_000, 9_000, 900), ts=ts(0)),
        cx.turn_context(ts=ts(1), turn_id=child_turn),  # the child's own first turn
        cx.user("genuine child task", ts(1)),
        cx.assistant("genuine child answer", ts(5)),
        cx.token_count(10_000, 0, 500, total=(60_000, 9_000, 1_400), ts=ts(5)),
    ]


def write_parent(root: Path) -> Path:
    return cx.write(
        day(root) / f"rollout-2026-01-05T09-00-00-{PARENT}.jsonl",
        [cx.meta(sid=PARENT), cx.turn_context(turn_id=PARENT_TURN), cx.user("parent question")],
    )


def assert_only_the_childs_work(s) -> None:
    assert [m.content for m in s.messages] == ["genuine child task", "genuine child answer"]
    usage = [m.usage for m in s.messages if m.usage]
    assert [(u.input_tokens, u.output_tokens) for u in usage] == [(10_000, 500)]
    assert s.first_message == "genuine child task"


def test_the_copied_parent_history_is_skipped_using_the_parents_turns(tmp_path: Path) -> None:
    parent = write_parent(tmp_path / "sessions")
    # Turn ids that are not UUIDv7: only the parent's own file can tell them apart.
    lines = child_lines(parent_turn="turn-a", child_turn="turn-b")
    parent.write_bytes(parent.read_bytes().replace(PARENT_TURN.encode(), b"turn-a"))
    child = cx.write(day(tmp_path / "sessions") / f"rollout-2026-01-05T10-00-00-{CHILD}.jsonl", lines)
    s = parse(child)
    assert_only_the_childs_work(s)
    assert codex_dependencies(child, [s]) == [parent]


def test_a_parent_in_the_archive_is_found_too(tmp_path: Path) -> None:
    archived = tmp_path / "archived_sessions" / f"rollout-2026-01-05T09-00-00-{PARENT}.jsonl"
    cx.write(archived, [cx.meta(sid=PARENT), cx.turn_context(turn_id="turn-a")])
    lines = child_lines(parent_turn="turn-a", child_turn="turn-b")
    child = cx.write(day(tmp_path / "sessions") / f"rollout-2026-01-05T10-00-00-{CHILD}.jsonl", lines)
    assert_only_the_childs_work(parse(child))


def test_without_the_parent_file_uuid7_turns_still_tell(tmp_path: Path) -> None:
    child = cx.write(day(tmp_path) / f"rollout-2026-01-05T10-00-00-{CHILD}.jsonl", child_lines())
    s = parse(child)
    assert_only_the_childs_work(s)
    assert codex_dependencies(child, [s]) == []


def test_without_the_parent_and_opaque_turn_ids_nothing_is_lost(tmp_path: Path) -> None:
    lines = child_lines(parent_turn="turn-a", child_turn="turn-b")
    s = parse(cx.write(day(tmp_path) / f"rollout-2026-01-05T10-00-00-{CHILD}.jsonl", lines))
    assert [m.content for m in s.messages] == [
        "replayed parent question",
        "replayed parent answer",
        "genuine child task",
        "genuine child answer",
    ]


def test_a_fork_skips_its_copy_of_the_parent_from_the_first_line(tmp_path: Path) -> None:
    write_parent(tmp_path)
    fork = cx.write(
        day(tmp_path) / f"rollout-2026-01-05T10-00-00-{CHILD}.jsonl",
        [
            cx.meta(ts(0), sid=CHILD, forked_from_id=PARENT),
            cx.turn_context(ts=ts(0), turn_id=PARENT_TURN),
            cx.user("replayed parent question", ts(0)),
            cx.assistant("replayed parent answer", ts(0)),
            cx.turn_context(ts=ts(1), turn_id=CHILD_TURN),
            cx.user("genuine child task", ts(1)),
            cx.assistant("genuine child answer", ts(5)),
            cx.token_count(10_000, 0, 500, total=(10_000, 0, 500), ts=ts(5)),
        ],
    )
    s = parse(fork)
    assert (s.parent_session_id, s.relationship) == (f"codex:{PARENT}", "fork")
    assert_only_the_childs_work(s)
