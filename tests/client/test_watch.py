"""watch: debounce, periodic floor, a final push on stop, one instance per user."""

from __future__ import annotations

import os

import pytest

from client.watch import AlreadyWatching, Watcher, single_instance
from tests.client.push_helpers import append_turns, write_session

SID = "eeeeeeee-0000-4000-8000-000000000005"


class Clock:
    def __init__(self) -> None:
        self.t = 0.0
        self.hooks: dict[int, object] = {}
        self.polls = 0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds
        self.polls += 1
        hook = self.hooks.get(self.polls)
        if hook:
            hook()


def test_a_change_is_pushed_once_after_the_debounce_then_the_floor_and_a_final_push(sources_root) -> None:
    path = write_session(sources_root, SID, 2)
    clock, pushes = Clock(), []
    w = Watcher(
        lambda reason: pushes.append((reason, clock.t)),
        poll=1,
        debounce=3,
        floor=20,
        clock=clock,
        sleep=clock.sleep,
    )
    # Writes at polls 2 and 3 (an agent streaming): one push, 3 s after the last write.
    clock.hooks = {2: lambda: append_turns(path, SID, 2, 1), 3: lambda: append_turns(path, SID, 3, 1)}
    w.run(max_polls=30)
    assert [r for r, _ in pushes] == ["start", "change", "floor", "final"]
    assert pushes[1][1] == 6  # last change seen at t=3, pushed at t=6
    assert pushes[2][1] == 26  # 20 s after the change push


def test_stop_ends_the_loop_with_a_final_push(sources_root) -> None:
    clock, pushes = Clock(), []
    w = Watcher(pushes.append, poll=1, clock=clock, sleep=clock.sleep)
    clock.hooks = {3: w.stop}
    w.run()
    assert pushes == ["start", "final"]


def test_only_one_watcher_per_user(tmp_path) -> None:
    lock = tmp_path / "watch.lock"
    with single_instance(lock):
        assert lock.read_text().strip() == str(os.getpid())
        with pytest.raises(AlreadyWatching, match="another av-client watch"), single_instance(lock):
            pass
    with single_instance(lock):  # released on exit
        pass
