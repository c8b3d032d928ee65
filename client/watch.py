"""``av-client watch``: push when session files change, and at least every so often.

Polling, not inotify: every ``poll`` seconds each source is listed and each
file ``stat``-ed (the same cost as a no-op push's scan, without the server).
A change starts a debounce: the push runs once files have been quiet for
``debounce`` seconds, so an agent streaming a reply is pushed once, not per
line. A push also runs every ``floor`` seconds regardless (the server may have
been rebuilt, a previous push may have failed). SIGINT/SIGTERM end the loop
after one final push. One watcher per user: an exclusive ``flock`` on
``watch.lock`` in the user directory.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from client.scan import select_sources
from client.state import FileStat

DEFAULT_POLL_S = 2.0
DEFAULT_DEBOUNCE_S = 5.0
DEFAULT_FLOOR_S = 900.0


class AlreadyWatching(RuntimeError):
    """Another `av-client watch` of this user holds the lock."""


@contextmanager
def single_instance(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise AlreadyWatching(
                f"another av-client watch is running (pid {holder}; lock {lock_path})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def snapshot(agent: str | None = None) -> dict[str, FileStat | None]:
    """Every discovered path and the files its parse depends on (a database's WAL), with their stat."""
    out: dict[str, FileStat | None] = {}
    for source in select_sources(agent):
        for path in source.files():
            out[str(path)] = FileStat.of(path)
            for dep in source.depends(path, ()):
                out[str(dep)] = FileStat.of(dep)
    return out


@dataclass
class Watcher:
    """The loop, with its clock and sleep injectable for tests."""

    push: Callable[[str], Any]  # called with the reason: "start", "change", "floor", "final"
    poll: float = DEFAULT_POLL_S
    debounce: float = DEFAULT_DEBOUNCE_S
    floor: float = DEFAULT_FLOOR_S
    agent: str | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    stopping: bool = False

    def stop(self, *_: object) -> None:
        self.stopping = True

    def run(self, *, max_polls: int | None = None) -> None:
        last = snapshot(self.agent)
        self.push("start")
        last_push = self.clock()
        changed_at: float | None = None
        polls = 0
        while not self.stopping and (max_polls is None or polls < max_polls):
            self.sleep(self.poll)
            polls += 1
            if self.stopping:
                break
            now_snap = snapshot(self.agent)
            now = self.clock()
            if now_snap != last:
                last, changed_at = now_snap, now
            if changed_at is not None and now - changed_at >= self.debounce:
                changed_at = None
                self.push("change")
                last_push = self.clock()
            elif now - last_push >= self.floor:
                self.push("floor")
                last_push = self.clock()
        self.push("final")


@contextmanager
def stop_on_signals(watcher: Watcher) -> Iterator[None]:
    previous = {sig: signal.signal(sig, watcher.stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
