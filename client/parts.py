"""Cutting what the plan asked for into push items and gzip requests under the size limit.

A *piece* is one push item: a session's metadata plus a consecutive run of its
messages, with ``base`` (where the run starts, and the chain hash just before
it) and ``complete`` (whether it is the session's last piece). A ``send_all``
is pieces from ordinal 0, the first without a base; a ``send_from N`` is pieces
from N, the first with the server's base.

Pieces are cut by raw JSON size first (cheap), packed into requests by raw size
and count, and a request whose gzip is still over ``MAX_REQUEST_BYTES`` is
split: a request of several items in halves, a single piece into two pieces
(:func:`build_requests`). Order is kept, so a session's pieces always arrive in
ordinal order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from avprotocol.limits import MAX_MESSAGES_PER_SESSION_PART, MAX_SESSIONS_PER_PUSH, SEND_BODY_BYTES
from avprotocol.requests import item_chunks, push_body_chunks
from avprotocol.session import BaseIn
from client.compression import gzip_chunks

MAX_REQUEST_BYTES = SEND_BODY_BYTES  # gzip on the wire; API Gateway allows 6 MB after base64
RAW_REQUEST_BYTES = 16 * 1024 * 1024  # uncompressed target per request (logs gzip ~5-10x)
RAW_PIECE_BYTES = 16 * 1024 * 1024
# Smaller than the server accepts: a request's answer comes back sooner, and a refused one costs less.
MAX_ITEMS_PER_REQUEST = MAX_SESSIONS_PER_PUSH * 2 // 5  # 200
MAX_MESSAGES_PER_PIECE = MAX_MESSAGES_PER_SESSION_PART * 2 // 5  # 20,000


@dataclass
class Outgoing:
    """One session the plan asked for, with its messages encoded lazily and once."""

    wire: dict[str, Any]
    file: str
    replace: bool = False  # push --full: the server writes it even if it holds the same fingerprint
    _failed: bool = False
    _meta: bytes | None = None
    _sizes: dict[int, int] = field(default_factory=dict)
    _encoded: dict[int, bytes] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """Set once the session cannot go further this round: its remaining pieces are skipped."""
        return self._failed

    @failed.setter
    def failed(self, value: bool) -> None:
        self._failed = value
        if value:
            self._encoded.clear()  # its messages will not be sent: do not hold them

    @property
    def session_id(self) -> str:
        return str(self.wire["session_id"])

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.wire["messages"]  # type: ignore[no-any-return]

    def message_size(self, index: int) -> int:
        size = self._sizes.get(index)
        if size is None:
            # Encoded once, to be measured; kept only until the body that carries it is built.
            encoded = self._encoded[index] = orjson.dumps(self.messages[index])
            size = self._sizes[index] = len(encoded)
        return size

    def message_bytes(self, index: int) -> bytes:
        # Handed over, not kept: pieces are sized just before their request is built, so only
        # the messages of the request being packed (and of the next piece, looked at to close
        # it) are held encoded; a piece that will not be sent lets go of them (drop_encoded).
        # Keeping every encoded message of a push (100 MB for 30,000 messages) cost more in
        # fresh memory than encoding twice; encoding twice cost 0.1-0.2 s of CPU per 100 MB.
        encoded = self._encoded.pop(index, None)
        return encoded if encoded is not None else orjson.dumps(self.messages[index])

    def drop_encoded(self, start: int, end: int) -> None:
        """Let go of the encoded messages ``start…end-1``: they will not be sent."""
        for i in range(start, end):
            self._encoded.pop(i, None)

    def meta_bytes(self) -> bytes:
        if self._meta is None:
            self._meta = orjson.dumps({k: v for k, v in self.wire.items() if k != "messages"})
        return self._meta


@dataclass
class Piece:
    session: Outgoing
    start: int  # first message index (== ordinal)
    end: int  # one past the last
    complete: bool

    @property
    def base(self) -> BaseIn | None:
        if self.start == 0:
            return None
        return BaseIn(ordinal=self.start, chain_hash=self.session.messages[self.start - 1]["chain_hash"])

    def chunks(self) -> list[bytes]:
        """The item's JSON in pieces, joined once for the whole request (each join copies megabytes)."""
        messages = (self.session.message_bytes(i) for i in range(self.start, self.end))
        return item_chunks(
            self.session.meta_bytes(),
            complete=self.complete,
            base=self.base,
            messages=messages,
            replace=self.session.replace,
        )

    def release(self) -> None:
        """Drop the encoded messages of a piece that will not be sent."""
        self.session.drop_encoded(self.start, self.end)

    def raw_size(self) -> int:
        return (
            len(self.session.meta_bytes())
            + sum(self.session.message_size(i) + 1 for i in range(self.start, self.end))
            + 128
        )

    def split(self) -> tuple[Piece, Piece] | None:
        if self.end - self.start < 2:
            return None
        mid = (self.start + self.end) // 2
        return Piece(self.session, self.start, mid, False), Piece(self.session, mid, self.end, self.complete)


@dataclass
class RequestSizer:
    """How much raw JSON to put in one request, learned from how well the bodies built so far compressed.

    The limit is on gzip bytes, but requests are packed by raw size (compressing to find
    out is the expensive part). A fixed raw size either wastes requests on logs that
    compress 7x or, on output that compresses 3x, overshoots the limit, and every
    overshooting body is compressed again in halves: that doubled the client's CPU per
    request in bench/ingest_bench.py. So each body built updates the target to fill
    about ``FILL`` of the limit at the compression ratio just seen.

    Requests start small and double (``FIRST_RAW``, twice that, …), a slow start:
    nothing reaches the database until the first body is built, sent, inflated and
    parsed, and for a 16 MB body that was ~150 ms with the server idle (or 200 ms
    when the guess overshot and the body was compressed again in halves). A 2 MB
    body is ready in a few milliseconds, is big enough to learn the ratio from, and
    fails fast if the server refuses the device; doubling keeps the server busy
    while the next, larger body is built. Pieces are cut at ``raw_target`` all along:
    a session split for the slow start would have its next piece wait for the
    first one's answer (the sender's ordering rule).
    """

    FILL = 0.85
    MIN_RAW = 1024 * 1024
    FIRST_RAW = 2 * 1024 * 1024
    raw_target: int = field(default_factory=lambda: RAW_REQUEST_BYTES)  # read when created (tests lower it)
    built: int = 0  # bodies built so far

    @property
    def request_target(self) -> int:
        """Raw bytes to pack into the next request."""
        return min(self.FIRST_RAW << min(self.built, 8), self.raw_target)

    def learn(self, raw_bytes: int, gzip_bytes: int) -> None:
        self.built += 1
        if raw_bytes >= self.MIN_RAW and gzip_bytes > 0:
            ratio = raw_bytes / gzip_bytes
            self.raw_target = int(
                min(RAW_REQUEST_BYTES, max(self.MIN_RAW, self.FILL * MAX_REQUEST_BYTES * ratio))
            )


def pieces(session: Outgoing, start: int, sizer: RequestSizer | None = None) -> Iterator[Piece]:
    """Pieces covering messages ``start…`` (an empty piece when only metadata changed); none once it failed."""
    if session.failed:
        return
    total = len(session.messages)
    if start >= total:
        yield Piece(session, total, total, True)
        return
    first = start
    size = len(session.meta_bytes())
    for i in range(start, total):
        n = session.message_size(i) + 1
        limit = min(RAW_PIECE_BYTES, sizer.raw_target) if sizer else RAW_PIECE_BYTES
        if i > first and (size + n > limit or i - first >= MAX_MESSAGES_PER_PIECE):
            yield Piece(session, first, i, False)
            if session.failed:  # the rest would be skipped: do not encode it
                session.drop_encoded(i, i + 1)  # measured for the next piece, which never comes
                return
            first, size = i, len(session.meta_bytes())
        size += n
    yield Piece(session, first, total, True)


def pack(stream: Iterator[Piece], sizer: RequestSizer | None = None) -> Iterator[list[Piece]]:
    """Group pieces into requests by raw size and count; a session appears at most once per request."""
    batch: list[Piece] = []
    ids: set[str] = set()
    size = 0
    for piece in stream:
        if piece.session.failed:
            piece.release()
            continue
        n = piece.raw_size()
        limit = sizer.request_target if sizer else RAW_REQUEST_BYTES
        if batch and (
            size + n > limit or len(batch) >= MAX_ITEMS_PER_REQUEST or piece.session.session_id in ids
        ):
            yield batch
            batch, ids, size = [], set(), 0
        batch.append(piece)
        ids.add(piece.session.session_id)
        size += n
    if batch:
        yield batch


def request_chunks(request_id: str, batch: list[Piece]) -> list[bytes]:
    return push_body_chunks(request_id, (piece.chunks() for piece in batch))


def request_body(request_id: str, batch: list[Piece]) -> bytes:
    return gzip_chunks(request_chunks(request_id, batch))[0]


@dataclass
class Request:
    """One gzip ``/v1/push`` body, ready to send, and the pieces it carries (in the body's order)."""

    request_id: str
    pieces: list[Piece]
    body: bytes

    @property
    def session_ids(self) -> frozenset[str]:
        return frozenset(p.session.session_id for p in self.pieces)

    def without_failed(self) -> Request | None:
        """This request minus the pieces of sessions that failed since it was built (``None`` if nothing is left).

        A changed request gets a new ``request_id``: it is a different request. Dropping items only
        makes the body smaller, so it stays under the limit.
        """
        kept = [p for p in self.pieces if not p.session.failed]
        if len(kept) == len(self.pieces):
            return self
        if not kept:
            return None
        request_id = uuid.uuid4().hex
        return Request(request_id, kept, request_body(request_id, kept))


@dataclass
class Oversize:
    """A piece of a single message whose gzip is still over ``MAX_REQUEST_BYTES``: it cannot be sent."""

    piece: Piece
    gzip_bytes: int
    limit: int

    @property
    def session_ids(self) -> frozenset[str]:
        return frozenset({self.piece.session.session_id})

    @property
    def wanted(self) -> bool:
        """Whether it is still news: not once its session has failed for another reason."""
        return not self.piece.session.failed


def build_requests(batch: list[Piece], sizer: RequestSizer | None = None) -> Iterator[Request | Oversize]:
    """Gzip one packed batch; a body over ``MAX_REQUEST_BYTES`` is split (halves, then ``Piece.split``)."""
    kept = []
    for piece in batch:
        if piece.session.failed:
            piece.release()
        else:
            kept.append(piece)
    batch = kept
    if not batch:
        return
    request_id = uuid.uuid4().hex
    body, raw_bytes = gzip_chunks(request_chunks(request_id, batch))
    if sizer is not None:
        sizer.learn(raw_bytes, len(body))
    if len(body) <= MAX_REQUEST_BYTES:
        yield Request(request_id, batch, body)
        return
    if len(batch) > 1:
        # Re-packed at the ratio just learned (halves could still overshoot and be compressed again).
        halves = list(pack(iter(batch), sizer)) if sizer is not None else []
        if len(halves) < 2:
            halves = [batch[: len(batch) // 2], batch[len(batch) // 2 :]]
    else:
        split = batch[0].split()
        if split is None:
            yield Oversize(batch[0], len(body), MAX_REQUEST_BYTES)
            return
        halves = [[split[0]], [split[1]]]
    for half in halves:
        yield from build_requests(half, sizer)


def requests(outgoing: Iterable[tuple[Outgoing, int]], sizer: RequestSizer) -> Iterator[Request | Oversize]:
    """Every request a push sends for ``outgoing`` (each session from its start ordinal), built lazily.

    Nothing is cut or encoded before it is asked for, so a session that fails while earlier
    requests are answered costs nothing more (:mod:`client.sender` asks as it sends).
    """
    stream = (piece for session, start in outgoing for piece in pieces(session, start, sizer))
    for batch in pack(stream, sizer):
        yield from build_requests(batch, sizer)
