"""Pipelined push (client.sender) against the real ingest app: bodies built ahead, several requests on
the wire, never two pieces of one session at once, answers applied in order, clean aborts."""

from __future__ import annotations

import gzip
import random
import ssl
import threading
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from client import parts
from client.config import load_config
from client.push import Pusher, PushOptions, PushSummary
from client.state import open_state
from client.transport import IngestClient, PushError
from tests.client.push_helpers import write_session
from tests.viewer.browser_helpers import free_port

# Files are scanned in sorted order, so the split session's pieces come first in the request stream.
BIG = "11111111-0000-4000-8000-000000000000"
BIG_MESSAGES = 120
HOLD_TIMEOUT_S = 10.0


def small_sid(i: int) -> str:
    return f"5555{i:04d}-0000-4000-8000-000000000000"


@dataclass
class Sent:
    """One /v1/push as the recording client saw it."""

    index: int
    items: list[tuple[str, int, int, bool]]  # (session_id, first ordinal, messages, complete), in body order
    gzip_bytes: int

    @property
    def session_ids(self) -> set[str]:
        return {sid for sid, _, _, _ in self.items}


class RecordingClient(IngestClient):
    """The real client to the real server, recording every /v1/push: what it carried, and when it started
    and ended as positions in one shared event log (overlap is then exact, no clock involved)."""

    def __init__(self, config: Any, **kw: Any) -> None:
        super().__init__(config, **kw)
        self.sleep = lambda s: None
        self.changed = threading.Condition()
        self.sent: list[Sent] = []
        self.events: list[tuple[str, int]] = []

    def post(self, path: str, body: bytes, *, answer: Any, request_id: str | None = None) -> Any:
        if path != "/v1/push":
            return super().post(path, body, answer=answer, request_id=request_id)
        items = [
            (s["session_id"], (s.get("base") or {}).get("ordinal", 0), len(s["messages"]), s["complete"])
            for s in orjson.loads(gzip.decompress(body))["sessions"]
        ]
        with self.changed:
            sent = Sent(len(self.sent), items, len(body))
            self.sent.append(sent)
            self.events.append(("start", sent.index))
            self.changed.notify_all()
        try:
            return self.on_the_wire(sent, path, body, answer)
        finally:
            with self.changed:
                self.events.append(("end", sent.index))

    def on_the_wire(self, sent: Sent, path: str, body: bytes, answer: Any) -> Any:
        return super().post(path, body, answer=answer)

    def wait_for_another_start(self, sent: Sent) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.sent) > sent.index + 1, timeout=HOLD_TIMEOUT_S)

    def overlapping_pairs(self) -> list[tuple[Sent, Sent]]:
        at = {event: i for i, event in enumerate(self.events)}
        return [
            (a, b)
            for a in self.sent
            for b in self.sent
            if a.index < b.index and at["start", b.index] < at["end", a.index]
        ]


def new_client_threads(before: set[threading.Thread]) -> list[str]:
    """Threads started since ``before``, but the in-process server's own (its thread pool grows as it likes)."""
    return [t.name for t in set(threading.enumerate()) - before if not t.name.startswith("AnyIO worker")]


def push_with(client: IngestClient, **options: Any) -> PushSummary:
    with open_state() as state:
        return Pusher(client, state, PushOptions(**options)).run()


def server_counts(ingest) -> dict[str, int]:
    return dict(
        ingest.rows(
            "SELECT session_id, message_count FROM sessions WHERE deleted_at IS NULL AND fingerprint <> ''"
        )
    )


@pytest.fixture
def small_requests(monkeypatch) -> None:
    """Requests of a few messages, so a handful of sessions make many requests and BIG many pieces."""
    monkeypatch.setattr(parts, "RAW_PIECE_BYTES", 4_000)
    monkeypatch.setattr(parts, "RAW_REQUEST_BYTES", 8_000)


@pytest.mark.parametrize("in_flight", [1, 2])
def test_many_sessions_land_the_same_whatever_is_in_flight(
    ingest, sources_root, small_requests, in_flight
) -> None:
    expected = {small_sid(i): 3 + i % 7 for i in range(40)}
    for sid, count in expected.items():
        write_session(sources_root, sid, count)
    with RecordingClient(load_config()) as client:
        summary = push_with(client, in_flight=in_flight)
    assert (summary.applied, summary.failed) == (40, [])
    assert summary.messages_sent == sum(expected.values())
    assert len(client.sent) > 10 and summary.requests == len(client.sent) + 1  # one plan, then the pushes
    assert server_counts(ingest) == expected
    with RecordingClient(load_config()) as client:
        again = push_with(client, in_flight=in_flight)
    assert (again.have, again.requests, client.sent) == (40, 1, [])  # every answer was recorded in the state


def test_a_split_session_never_has_two_pieces_on_the_wire(ingest, sources_root, small_requests) -> None:
    write_session(sources_root, BIG, BIG_MESSAGES)
    smalls = {small_sid(i): 4 for i in range(12)}
    for sid in smalls:
        write_session(sources_root, sid, 4)
    held: list[bool] = []

    class Client(RecordingClient):
        def on_the_wire(self, sent: Sent, *args: Any) -> Any:
            if BIG in sent.session_ids:
                # Leave time for a wrong sender to put BIG's next piece on the wire meanwhile.
                threading.Event().wait(0.05)
            elif sent.index == min(s.index for s in self.sent if BIG not in s.session_ids):
                # The first request without BIG waits for another one to start: only pipelining can.
                held.append(self.wait_for_another_start(sent))
            return super().on_the_wire(sent, *args)

    with Client(load_config()) as client:
        summary = push_with(client, in_flight=3)
    assert (summary.applied, summary.failed) == (13, [])
    assert held == [True], "no second request started while one was on the wire"
    assert client.overlapping_pairs(), "no two requests were ever on the wire together"
    for a, b in client.overlapping_pairs():
        assert not a.session_ids & b.session_ids, (
            f"requests {a.index} and {b.index} both carry {a.session_ids}"
        )
    big = [(first, n, complete) for s in client.sent for sid, first, n, complete in s.items if sid == BIG]
    assert len(big) > 5
    assert [first for first, _, _ in big] == [sum(n for _, n, _ in big[:i]) for i in range(len(big))]
    assert [complete for _, _, complete in big] == [False] * (len(big) - 1) + [True]
    assert server_counts(ingest) == {BIG: BIG_MESSAGES, **smalls}


@pytest.mark.parametrize("in_flight", [1, 2])
def test_a_failed_request_fails_its_sessions_only_and_later_pieces_are_not_sent(
    ingest, sources_root, small_requests, in_flight
) -> None:
    write_session(sources_root, BIG, 30)  # a few pieces; its last shares a request with small sessions
    smalls = {small_sid(i): 4 for i in range(8)}
    for sid in smalls:
        write_session(sources_root, sid, 4)

    class Client(RecordingClient):
        def on_the_wire(self, sent: Sent, path: str, body: bytes, answer: Any) -> Any:
            if sent.index == 0:
                body = b"not gzip"  # the real server refuses this request with 400
            return super().on_the_wire(sent, path, body, answer)

    with Client(load_config()) as client:
        summary = push_with(client, in_flight=in_flight)
    assert client.sent[0].session_ids == {BIG}
    assert [sid for sid, _ in summary.failed] == [BIG] and "HTTP 400" in summary.failed[0][1]
    assert summary.exit_code == 1 and summary.applied == len(smalls)
    assert [s.index for s in client.sent if BIG in s.session_ids] == [0]  # its later pieces never left
    assert server_counts(ingest) == smalls


def test_abort_after_the_server_becomes_unreachable_raises_and_leaves_no_thread(
    ingest, sources_root, small_requests
) -> None:
    for i in range(40):
        write_session(sources_root, small_sid(i), 6)
    config = load_config()
    tls = ssl.create_default_context(cafile=str(config.ca_bundle))
    dead = f"https://127.0.0.1:{free_port()}"

    class Client(RecordingClient):
        def on_the_wire(self, sent: Sent, *args: Any) -> Any:
            self._client.base_url = httpx.URL(dead)  # the plan got through; now nobody listens
            return super().on_the_wire(sent, *args)

    before = set(threading.enumerate())
    with (
        Client(config, transport=httpx.HTTPTransport(retries=0, verify=tls)) as client,
        pytest.raises(PushError, match="cannot reach") as err,
    ):
        push_with(client, in_flight=2)
    assert err.value.status is None
    assert 3 <= len(client.sent) <= 3 + 2  # gave up after three, at most the window more on the wire
    assert new_client_threads(before) == []
    assert server_counts(ingest) == {}


def test_an_error_while_building_ahead_is_raised_and_leaves_no_thread(
    ingest, sources_root, small_requests, monkeypatch
) -> None:
    for i in range(20):
        write_session(sources_root, small_sid(i), 6)
    real = parts.gzip_chunks
    built: list[int] = []

    def fails_on_the_fourth(chunks: list[bytes]) -> tuple[bytes, int]:
        built.append(1)
        if len(built) == 4:
            raise MemoryError("out of memory while building request 4")
        return real(chunks)

    monkeypatch.setattr(parts, "gzip_chunks", fails_on_the_fourth)
    before = set(threading.enumerate())
    with RecordingClient(load_config()) as client, pytest.raises(MemoryError, match="request 4"):
        push_with(client, in_flight=2)
    assert len(client.sent) <= 3
    assert new_client_threads(before) == []


@pytest.mark.parametrize("in_flight", [1, 2])
def test_oversize_bodies_are_split_when_built_and_an_unsendable_message_fails_its_session(
    ingest, sources_root, monkeypatch, in_flight
) -> None:
    limit = 2_500
    monkeypatch.setattr(parts, "MAX_REQUEST_BYTES", limit)  # the raw packing limits stay large
    smalls = {small_sid(i): 3 + i for i in range(10)}
    for sid, count in smalls.items():
        write_session(sources_root, sid, count)
    noise = "".join(random.Random(7).choices("abcdefghijklmnopqrstuvwxyz0123456789", k=6_000))
    write_session(sources_root, BIG, 4, text=noise)  # every message alone gzips over the limit
    with RecordingClient(load_config()) as client:
        summary = push_with(client, in_flight=in_flight)
    assert [sid for sid, _ in summary.failed] == [BIG]  # once, though each of its messages is too big
    assert f"over the {limit}-byte request limit" in summary.failed[0][1]
    assert max(s.gzip_bytes for s in client.sent) <= limit and len(client.sent) > 3
    assert any(len(s.items) > 1 for s in client.sent)  # halves, not one request per session
    assert BIG not in {sid for s in client.sent for sid in s.session_ids}
    assert server_counts(ingest) == smalls
