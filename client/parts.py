"""Cutting what the plan asked for into push items and gzip requests under the size limit.

A *piece* is one push item: a session's metadata plus a consecutive run of its
messages, with ``base`` (where the run starts, and the chain hash just before
it) and ``complete`` (whether it is the session's last piece). A ``send_all``
is pieces from ordinal 0, the first without a base; a ``send_from N`` is pieces
from N, the first with the server's base.

Pieces are cut by raw JSON size first (cheap), packed into requests by raw size
and count, and a request whose gzip is still over ``MAX_REQUEST_BYTES`` is
split: a request of several items in halves, a single piece into two pieces.
Order is kept, so a session's pieces always arrive in ordinal order.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

MAX_REQUEST_BYTES = 4 * 1024 * 1024      # gzip on the wire; API Gateway allows 6 MB after base64
RAW_REQUEST_BYTES = 16 * 1024 * 1024      # uncompressed target per request (logs gzip ~5-10x)
RAW_PIECE_BYTES = 16 * 1024 * 1024
MAX_ITEMS_PER_REQUEST = 200               # the server accepts 500
MAX_MESSAGES_PER_PIECE = 20_000           # the server accepts 50,000
GZIP_LEVEL = 5


@dataclass
class Outgoing:
    """One session the plan asked for, with its messages encoded lazily and once."""

    wire: dict[str, Any]
    file: str
    failed: bool = False
    _meta: bytes | None = None
    _encoded: dict[int, bytes] = field(default_factory=dict)

    @property
    def session_id(self) -> str:
        return str(self.wire["session_id"])

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.wire["messages"]  # type: ignore[no-any-return]

    def message_bytes(self, index: int) -> bytes:
        got = self._encoded.get(index)
        if got is None:
            got = self._encoded[index] = orjson.dumps(self.messages[index])
        return got

    def meta_bytes(self) -> bytes:
        if self._meta is None:
            self._meta = orjson.dumps({k: v for k, v in self.wire.items() if k != "messages"})
        return self._meta


@dataclass
class Piece:
    session: Outgoing
    start: int  # first message index (== ordinal)
    end: int    # one past the last
    complete: bool

    @property
    def base(self) -> dict[str, Any] | None:
        if self.start == 0:
            return None
        return {"ordinal": self.start, "chain_hash": self.session.messages[self.start - 1]["chain_hash"]}

    def encode(self) -> bytes:
        extra: dict[str, Any] = {"complete": self.complete}
        if self.base is not None:
            extra["base"] = self.base
        meta = self.session.meta_bytes()
        msgs = b",".join(self.session.message_bytes(i) for i in range(self.start, self.end))
        return meta[:-1] + b"," + orjson.dumps(extra)[1:-1] + b',"messages":[' + msgs + b"]}"

    def raw_size(self) -> int:
        return len(self.session.meta_bytes()) + sum(len(self.session.message_bytes(i)) + 1
                                                   for i in range(self.start, self.end)) + 128

    def split(self) -> tuple[Piece, Piece] | None:
        if self.end - self.start < 2:
            return None
        mid = (self.start + self.end) // 2
        return Piece(self.session, self.start, mid, False), Piece(self.session, mid, self.end, self.complete)


def pieces(session: Outgoing, start: int) -> Iterator[Piece]:
    """Pieces covering messages ``start…`` (an empty piece when only metadata changed)."""
    total = len(session.messages)
    if start >= total:
        yield Piece(session, total, total, True)
        return
    first = start
    size = len(session.meta_bytes())
    for i in range(start, total):
        n = len(session.message_bytes(i)) + 1
        if i > first and (size + n > RAW_PIECE_BYTES or i - first >= MAX_MESSAGES_PER_PIECE):
            yield Piece(session, first, i, False)
            first, size = i, len(session.meta_bytes())
        size += n
    yield Piece(session, first, total, True)


def pack(stream: Iterator[Piece]) -> Iterator[list[Piece]]:
    """Group pieces into requests by raw size and count; a session appears at most once per request."""
    batch: list[Piece] = []
    ids: set[str] = set()
    size = 0
    for piece in stream:
        if piece.session.failed:
            continue
        n = piece.raw_size()
        if batch and (size + n > RAW_REQUEST_BYTES or len(batch) >= MAX_ITEMS_PER_REQUEST
                      or piece.session.session_id in ids):
            yield batch
            batch, ids, size = [], set(), 0
        batch.append(piece)
        ids.add(piece.session.session_id)
        size += n
    if batch:
        yield batch


def request_body(request_id: str, batch: list[Piece]) -> bytes:
    raw = b'{"protocol":1,"request_id":"%s","sessions":[%s]}' % (
        request_id.encode(), b",".join(p.encode() for p in batch))
    return gzip.compress(raw, compresslevel=GZIP_LEVEL)
