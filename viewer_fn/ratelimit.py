"""Failed-login rate limiting, per container and in memory.

The viewer cannot write to the database (by construction), so failures are counted
in this process only: each Lambda container (or the local stack's one server process) keeps its own
sliding window per client address. An attacker spread over many containers gets
``containers x LOGIN_MAX_FAILURES`` tries per window, which against 228-bit random
tokens is still nothing; the limit is there to stop noisy guessing and log spam.

Clients are told apart by ``avcore.web.client_address`` (the gateway's ``sourceIp``,
which a client cannot forge).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from avcore.web import TooManyRequests

LOGIN_MAX_FAILURES = 10  # failures allowed per window ...
LOGIN_WINDOW_S = 300.0  # ... of this many seconds, per client address
MAX_TRACKED_CLIENTS = 10_000  # bounds memory; the least recently failing client is forgotten first


class LoginLimiter:
    """A sliding window of failure times per client; thread-safe (sync routes run in a pool)."""

    def __init__(
        self,
        max_failures: int = LOGIN_MAX_FAILURES,
        window_s: float = LOGIN_WINDOW_S,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.max_failures, self.window_s = max_failures, window_s
        self._clock = clock or time.monotonic
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return times

    def check(self, key: str) -> None:
        """Raise 429 (with Retry-After) while ``key`` has used up its failures."""
        with self._lock:
            now = self._clock()
            times = self._recent(key, now)
            if len(times) >= self.max_failures:
                retry = max(1, math.ceil(self.window_s - (now - times[0])))
                raise TooManyRequests(
                    f"too many failed logins from your address; try again in {retry} s",
                    headers={"Retry-After": str(retry)},
                )

    def failed(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times
            self._failures.move_to_end(key)
            while len(self._failures) > MAX_TRACKED_CLIENTS:
                self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
