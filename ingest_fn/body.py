"""Reading a push body safely: size caps before parsing, gzip with a bomb guard.

API Gateway hands Lambda at most 6 MB, and Mangum base64-decodes the body but does
not gunzip it, so decompression happens here, streamed, with a cap on the
decompressed size: a tiny gzip can expand to gigabytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

import orjson
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from isal import igzip_lib

from avcore.web import BadRequest, PayloadTooLarge, UnsupportedMediaType
from avprotocol.limits import MAX_GZIP_MEMBERS, MAX_JSON_DEPTH

T = TypeVar("T")
GZIP_MAGIC = b"\x1f\x8b"
# isal's stub types IsalError as a plain object; at run time it is an Exception subclass.
ISAL_ERROR = cast(type[Exception], igzip_lib.IsalError)
# MAX_GZIP_MEMBERS: av-client sends one member. Each further member costs a copy of the rest
# of the body (and an empty one inflates to nothing, so the size cap never stops them): a 6 MB
# body of 20-byte empty members took ~30 s of CPU before that bound.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def depth_ok(value: Any, limit: int) -> bool:
    # Level by level, containers only: a push is mostly strings, and visiting each
    # one cost as much as validating the whole body.
    level, depth = [value], 1
    while level:
        if depth > limit:
            return False
        inner: list[Any] = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
            inner.extend(c for c in children if isinstance(c, (dict, list)))
        level, depth = inner, depth + 1
    return True


def gunzip_capped(data: bytes, cap: int) -> bytes:
    """The gzip body inflated (every member, RFC 1952 §2.2), refused past ``cap`` bytes."""
    # ISA-L inflates standard gzip 2-3x faster than zlib (bench/ingest_bench.py), and its
    # decompressor object releases the GIL, so a second request's gzip inflates while
    # the first request's rows are formatted.
    if data[:2] != GZIP_MAGIC:
        raise BadRequest("the body is not valid gzip (Content-Encoding: gzip)")
    out, rest = _inflate_member(data, cap, 0)
    if not rest:
        return out  # one member, as av-client sends: no copy
    members = [out]
    inflated = len(out)
    while rest:
        if rest[:2] != GZIP_MAGIC:
            raise BadRequest("the body has data after the end of its gzip stream")
        if len(members) == MAX_GZIP_MEMBERS:
            raise BadRequest(f"the gzip body has more than {MAX_GZIP_MEMBERS} members")
        out, rest = _inflate_member(rest, cap, inflated)
        members.append(out)
        inflated += len(out)
    return b"".join(members)


def _inflate_member(data: bytes, cap: int, inflated: int) -> tuple[bytes, bytes]:
    """One gzip member (at most ``cap`` - ``inflated`` bytes of it) and whatever follows it."""
    room = cap - inflated
    inflater = igzip_lib.IgzipDecompressor(flag=igzip_lib.DECOMP_GZIP)
    # The trailer's last four bytes (ISIZE, the length mod 2**32) size the output in one
    # go when the body is a single member, as av-client's are: growing the buffer step by
    # step up to the cap cost ~30 % of the inflate time. It is a hint only: a wrong (even
    # a lying) one changes how the buffer grows, never the cap. (With several members it is
    # the last one's size, used for each: a wrong hint, which costs only buffer growth.)
    hint = int.from_bytes(data[-4:], "little")
    try:
        out = inflater.decompress(data, min(hint, room) + 1)
        if not inflater.eof and len(out) <= room:
            out += inflater.decompress(b"", room + 1 - len(out))
    except ISAL_ERROR:
        raise BadRequest("the body is not valid gzip (Content-Encoding: gzip)") from None
    if len(out) > room:
        raise PayloadTooLarge(f"the decompressed body exceeds the limit of {cap} bytes")
    if not inflater.eof:
        raise BadRequest("the gzip body is truncated")
    return out, inflater.unused_data


def _repair_strings(value: Any) -> Any:
    # Lone surrogates cannot be stored or re-encoded; U+FFFD keeps the rest of the text.
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_repair_strings(v) for v in value]
    if isinstance(value, dict):
        return {_repair_strings(k): _repair_strings(v) for k, v in value.items()}
    return value


def decode_json(data: bytes) -> Any:
    """orjson on the fast path; a body that is not UTF-8 is refused, naming the byte.

    JSON escapes can still spell text PostgreSQL cannot store (lone UTF-16
    surrogates such as ``\\ud800``, which agent logs do contain); those become
    U+FFFD so that one bad character does not cost a whole push.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        first_error = exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if data[:2] == GZIP_MAGIC:
            raise BadRequest("the body is gzip-compressed but Content-Encoding: gzip is missing") from None
        raise BadRequest(
            f"the body is not valid UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 1]!r}); "
            "JSON must be encoded as UTF-8"
        ) from None
    try:
        return _repair_strings(json.loads(text))
    except (ValueError, RecursionError):
        raise BadRequest(f"the body is not valid JSON: {first_error}") from None


def checked_json(data: bytes) -> Any:
    value = decode_json(data)
    if not depth_ok(value, MAX_JSON_DEPTH):
        raise BadRequest(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    return value


async def read_json_body(
    request: Request, *, max_bytes: int, max_decompressed: int, parse: Callable[[bytes], Any] = checked_json
) -> Any:
    """The body, size-capped and gunzipped, then ``parse``d in a worker thread (plain JSON by default)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType(
            f"Content-Type must be application/json, not {content_type or 'missing'!r}"
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {max_bytes} bytes")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > max_bytes:
            raise PayloadTooLarge(f"the body exceeds the limit of {max_bytes} bytes")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("gzip", "", "identity"):
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported; use gzip or identity")
    # Decompressing and decoding megabytes is CPU work: keep it off the event loop.
    return await run_in_threadpool(
        _decode, bytes(raw), gzip=encoding == "gzip", max_decompressed=max_decompressed, parse=parse
    )


def _decode(raw: bytes, *, gzip: bool, max_decompressed: int, parse: Callable[[bytes], T]) -> T:
    return parse(gunzip_capped(raw, max_decompressed) if gzip else raw)
