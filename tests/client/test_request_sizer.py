"""Requests are packed by raw size learned from compression, so bodies are rarely compressed twice."""

from __future__ import annotations

import random

from client import parts
from client.parts import (
    MAX_REQUEST_BYTES,
    RAW_REQUEST_BYTES,
    Outgoing,
    Request,
    RequestSizer,
    build_requests,
    pack,
    pieces,
)


def test_the_target_fills_the_limit_at_the_ratio_seen_and_stays_in_bounds() -> None:
    sizer = RequestSizer()
    assert sizer.raw_target == RAW_REQUEST_BYTES
    sizer.learn(10_000_000, 3_000_000)  # compresses 3.3x
    assert sizer.raw_target == int(RequestSizer.FILL * MAX_REQUEST_BYTES * 10 / 3)
    sizer.learn(10_000_000, 500_000)  # 20x: never above the raw cap
    assert sizer.raw_target == RAW_REQUEST_BYTES
    sizer.learn(10_000_000, 9_900_000)  # incompressible: never below the floor
    assert sizer.raw_target == max(
        RequestSizer.MIN_RAW, int(RequestSizer.FILL * MAX_REQUEST_BYTES * 10 / 9.9)
    )
    before = sizer.raw_target
    sizer.learn(1_000, 10)  # too small a body to say anything
    assert sizer.raw_target == before


def _poorly_compressible_sessions(count: int) -> list[Outgoing]:
    rng = random.Random(7)
    out = []
    for s in range(count):
        msgs = [
            {
                "ordinal": i,
                "chain_hash": f"{i:064x}",
                "content": " ".join(f"{rng.getrandbits(64):016x}" for _ in range(4_000)),
            }
            for i in range(20)
        ]
        out.append(Outgoing({"session_id": f"s{s}", "fingerprint": "f" * 64, "messages": msgs}, ""))
    return out


def test_learning_avoids_compressing_bodies_twice(monkeypatch) -> None:
    # Hex text compresses ~2x, so 16 MB of it overshoots the 4 MB gzip limit: without
    # learning, every request would be compressed whole, then again in halves.
    calls: list[int] = []
    real = parts.gzip_chunks

    def counting(chunks: list[bytes]) -> tuple[bytes, int]:
        calls.append(1)
        return real(chunks)

    monkeypatch.setattr(parts, "gzip_chunks", counting)
    sizer = RequestSizer()
    sessions = _poorly_compressible_sessions(40)
    stream = (p for o in sessions for p in pieces(o, 0, sizer))
    built = [r for batch in pack(stream, sizer) for r in build_requests(batch, sizer)]
    assert all(isinstance(r, Request) and len(r.body) <= MAX_REQUEST_BYTES for r in built)
    wasted = len(calls) - len(built)
    assert wasted <= 1, f"{wasted} bodies were compressed and thrown away"  # at most the very first
    assert len(built) >= 3
    # every session arrives whole and in order
    ids = [p.session.session_id for r in built for p in r.pieces]
    assert ids == [o.session_id for o in sessions]


def test_chunks_compress_to_the_gzip_of_their_concatenation() -> None:
    import gzip

    from client.compression import GROUP_BYTES, gzip_chunks

    rng = random.Random(3)
    chunks = [bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 5000))) for _ in range(300)]
    chunks.append(b"x" * (GROUP_BYTES + 17))  # one chunk larger than a group
    body, raw = gzip_chunks(chunks)
    assert raw == sum(map(len, chunks))
    assert gzip.decompress(body) == b"".join(chunks)
    assert gzip.decompress(gzip_chunks([])[0]) == b"" and gzip_chunks([])[1] == 0


def _log_like_sessions(count: int, messages: int, size: int) -> list[Outgoing]:
    rng = random.Random(11)
    return [
        Outgoing(
            {
                "session_id": f"s{s}",
                "fingerprint": "f" * 64,
                "messages": [
                    {
                        "ordinal": i,
                        "chain_hash": f"{i:064x}",
                        "content": f"{rng.getrandbits(64):016x} step ok\n" * (size // 26),
                    }
                    for i in range(messages)
                ],
            },
            "",
        )
        for s in range(count)
    ]


def test_requests_start_small_and_double_without_splitting_sessions() -> None:
    # Nothing reaches the database before the first body is built and parsed: it is small.
    sizer = RequestSizer()
    sessions = _log_like_sessions(100, 20, 20_000)  # ~400 KB per session, 40 MB in all
    stream = (p for o in sessions for p in pieces(o, 0, sizer))
    built = [r for batch in pack(stream, sizer) for r in build_requests(batch, sizer)]
    raw = [sum(p.raw_size() for p in r.pieces) for r in built]  # type: ignore[union-attr]
    session_size = 500_000
    for i in range(3):  # 2, 4, 8 MB: each as full as whole sessions allow
        assert (RequestSizer.FIRST_RAW << i) - session_size < raw[i] <= RequestSizer.FIRST_RAW << i, (i, raw)
    assert raw[3] > (4 << 20) + raw[2]  # then on up, to the learned target
    assert all(p.start == 0 and p.complete for r in built for p in r.pieces)  # type: ignore[union-attr]


def test_a_big_first_session_is_not_cut_for_the_slow_start() -> None:
    # Its second piece would have to wait for the first one's answer (the sender's ordering rule).
    sizer = RequestSizer()
    (session,) = _log_like_sessions(1, 40, 150_000)  # ~6 MB
    assert [(p.start, p.end) for p in pieces(session, 0, sizer)] == [(0, 40)]


def test_each_message_is_encoded_once_and_not_kept(monkeypatch) -> None:
    encoded: list[int] = []
    real = parts.orjson.dumps

    class CountingOrjson:
        @staticmethod
        def dumps(value: object) -> bytes:
            if isinstance(value, dict) and "ordinal" in value:
                encoded.append(value["ordinal"])  # type: ignore[arg-type]
            return real(value)

    monkeypatch.setattr(parts, "orjson", CountingOrjson)
    sizer = RequestSizer()
    sessions = _log_like_sessions(30, 20, 20_000)
    stream = (p for o in sessions for p in pieces(o, 0, sizer))
    built = [r for batch in pack(stream, sizer) for r in build_requests(batch, sizer)]
    assert sum(len(r.pieces) for r in built) == 30  # type: ignore[union-attr]
    assert len(encoded) == 30 * 20
    assert all(not o._encoded for o in sessions)  # nothing left held once the bodies are built


def test_a_failed_session_stops_being_encoded_and_lets_go_of_its_bytes(monkeypatch) -> None:
    # A session that fails mid-push (a rejected part, a refused request) must not keep its
    # encoded messages for the rest of the round, nor have more of them encoded.
    monkeypatch.setattr(parts, "RAW_PIECE_BYTES", 1024 * 1024)
    (session,) = _log_like_sessions(1, 400, 20_000)  # ~8 MB: eight pieces
    other = _log_like_sessions(2, 10, 20_000)[1]
    sizer = RequestSizer()
    stream = (p for o in (session, other) for p in pieces(o, 0, sizer))
    batches = pack(stream, sizer)
    first = next(batches)
    assert first[0].session is session and not first[0].complete
    session.failed = True  # e.g. its first part was rejected
    assert not session._encoded
    list(build_requests(first, sizer))  # (its request was built before the failure)
    rest = list(batches)
    # At most the piece already looked at to close the first batch is still in a batch ...
    assert sum(p.session is session for batch in rest for p in batch) <= 1
    assert len(session._sizes) < 400  # ... the later ones were never cut (or encoded)
    sent = [p for batch in rest for r in build_requests(batch, sizer) for p in r.pieces]  # type: ignore[union-attr]
    assert sent and all(p.session is other for p in sent)  # ... and it is not sent
    assert not session._encoded and not other._encoded


def test_a_session_failed_before_its_turn_is_not_encoded_at_all() -> None:
    failed, other = _log_like_sessions(2, 30, 20_000)
    failed.failed = True
    sizer = RequestSizer()
    stream = (p for o in (failed, other) for p in pieces(o, 0, sizer))
    sent = [p for batch in pack(stream, sizer) for r in build_requests(batch, sizer) for p in r.pieces]  # type: ignore[union-attr]
    assert [p.session for p in sent] == [other] and not failed._sizes and not failed._encoded
