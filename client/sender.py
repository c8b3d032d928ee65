"""Sending push requests pipelined: the next bodies are gzipped while earlier requests are on the wire.

Building and gzipping a 16 MB request costs 100-200 ms of client CPU, and the server then
needs its own time to write it; sent one at a time, a push takes the sum of both. Here
three things overlap:

* a *builder* thread draws requests from the lazy iterator it is given (:func:`client.parts.requests`
  cuts, packs and gzips them as they are asked for; ISA-L releases the GIL), never more than
  ``in_flight`` + 1 ready ahead (``in_flight`` queued, one held for the ordering rule), so memory
  stays bounded (a body is at most 4 MB gzip);
* up to ``in_flight`` requests are on the wire at once, through one shared ``IngestClient``
  (``httpx.Client`` is thread-safe; ``last_response`` is kept per thread);
* the calling thread alone applies answers, one at a time and in submission order, so the
  state, the summary and progress see exactly what they saw when requests went one by one.

The ordering rule: a session split into pieces never has two pieces on the wire. A request
carrying a piece of session S is sent only once every earlier request carrying S has been
answered and its answer applied; if S has failed (or must be re-planned) by then, the request
goes without S's pieces, or not at all. The server checks every piece's base too; this keeps
it from having to refuse one, and saves sending the bytes.

``in_flight=1`` starts no thread: build, send, apply, one request after the other.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from client.config import PUSH_IN_FLIGHT_DEFAULT, PUSH_IN_FLIGHT_MAX
from client.parts import Oversize, Request
from client.transport import PushError

Answer = TypeVar("Answer")
Outbound = Request | Oversize


class PipelinedSender(Generic[Answer]):
    """Sends requests with up to ``in_flight`` of them on the wire; see the module docstring."""

    def __init__(self, post: Callable[[Request], Answer], *, in_flight: int = PUSH_IN_FLIGHT_DEFAULT) -> None:
        if not 1 <= in_flight <= PUSH_IN_FLIGHT_MAX:
            raise ValueError(f"in_flight must be 1..{PUSH_IN_FLIGHT_MAX}, not {in_flight}")
        self.post = post  # called from the sending threads: it must touch no shared state but the client
        self.in_flight = in_flight

    def send(
        self,
        outbound: Iterator[Outbound],
        *,
        on_answer: Callable[[Request, Answer], None],
        on_error: Callable[[Request, PushError], None],
        on_oversize: Callable[[Oversize], None],
    ) -> None:
        """Send every request ``outbound`` yields; the callbacks run in the calling thread, in order.

        ``outbound`` is drawn lazily (by the builder thread when ``in_flight`` > 1), so it may
        build each request as it is asked for; it must skip the pieces of failed sessions.

        An exception from a callback (e.g. giving up on an unreachable server), from building or
        from the transport (anything but ``PushError``) stops the run: requests not yet on the wire
        are dropped, those on it are awaited and their answers ignored, then the exception propagates.
        """
        with self._prepared(outbound) as prepared, self._wire() as submit:
            window: deque[tuple[Request, Future[Answer]]] = deque()

            def settle_oldest() -> None:
                request, future = window.popleft()
                try:
                    answer = future.result()
                except PushError as exc:
                    on_error(request, exc)
                else:
                    on_answer(request, answer)

            for item in prepared:
                # A session's earlier pieces must be answered and applied first (the ordering rule);
                # answers are applied oldest first, so settle until none of its sessions is on the wire.
                while any(item.session_ids & sent.session_ids for sent, _ in window):
                    settle_oldest()
                if isinstance(item, Oversize):
                    if item.wanted:
                        on_oversize(item)
                    continue
                request = item.without_failed()
                if request is None:
                    continue
                window.append((request, submit(request)))
                while len(window) >= self.in_flight:
                    settle_oldest()
            while window:
                settle_oldest()

    @contextmanager
    def _prepared(self, outbound: Iterator[Outbound]) -> Iterator[Iterator[Outbound]]:
        if self.in_flight == 1:
            # Drawn only after the previous answer was applied, so a failed session's later pieces are never built.
            yield outbound
            return
        builder = _Builder(outbound, ahead=self.in_flight)
        try:
            yield builder.items()
        finally:
            builder.stop()

    @contextmanager
    def _wire(self) -> Iterator[Callable[[Request], Future[Answer]]]:
        if self.in_flight == 1:
            yield self._post_here
            return
        pool = ThreadPoolExecutor(max_workers=self.in_flight, thread_name_prefix="av-push-send")
        try:
            yield lambda request: pool.submit(self.post, request)
        finally:
            # Requests not started are cancelled; one on the wire cannot be interrupted from another
            # thread, so it is awaited: no thread outlives the push.
            pool.shutdown(wait=True, cancel_futures=True)

    def _post_here(self, request: Request) -> Future[Answer]:
        future: Future[Answer] = Future()
        try:
            future.set_result(self.post(request))
        except Exception as exc:  # handed over exactly as a pool thread would hand it over
            future.set_exception(exc)
        return future


@dataclass
class _End:
    error: BaseException | None  # what stopped the builder, raised in the sending thread


class _Builder:
    """The thread that draws requests ahead of the sender, at most ``ahead`` of them waiting."""

    def __init__(self, outbound: Iterator[Outbound], *, ahead: int) -> None:
        self._outbound = outbound
        self._ready: queue.Queue[Outbound | _End] = queue.Queue(maxsize=ahead)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="av-push-build", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # The iterator skips sessions already marked failed, which only saves work: what is
        # sent is decided again in the sending thread (Request.without_failed).
        try:
            for item in self._outbound:
                if not self._put(item):
                    return
        except BaseException as exc:  # never lost: the sending thread raises it
            self._put(_End(exc))
        else:
            self._put(_End(None))

    def _put(self, item: Outbound | _End) -> bool:
        """Wait for room in the queue; ``False`` once the sender has stopped."""
        while not self._stopping.is_set():
            try:
                self._ready.put(item, timeout=0.05)
            except queue.Full:
                continue
            return True
        return False

    def items(self) -> Iterator[Outbound]:
        while True:
            item = self._ready.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
