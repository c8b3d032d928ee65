"""Every byte arrives: JSON and text from agent logs, repaired rather than dropped.

Agent logs contain text that is not valid Unicode: invalid UTF-8 bytes (a tool
output cut mid-character, a binary file cat'ed into a terminal) and lone UTF-16
surrogates written as JSON escapes (``"\\ud800"``, from JavaScript strings cut
between the two halves of an emoji). ``orjson`` refuses both, and a parser that
took that refusal for "not JSON" dropped the line, the message, a whole Gemini
file or a whole agentsview import. Here each such character becomes U+FFFD, the
rest of the value is kept, and every repair is counted.

One piece for every source (issue 15), so a new source gets it by calling it:

* ``loads(raw)``: ``orjson.loads``, and where orjson refuses, ``loads_repaired``.
* ``loads_repaired(raw)``: the slow path alone, for parsers whose hot loop calls
  ``orjson.loads`` itself and falls back here in its ``except`` branch, so valid
  input (nearly all of it) costs nothing extra. Raises :class:`NotJSON` only
  when the input is not JSON even once repaired.
* ``text(value)``: one repaired ``str`` from bytes or a ``str`` read elsewhere
  (SQLite columns, file names).

Repairs are counted in the :class:`Repairs` opened by ``counting()`` (a context
variable, so threads and nested parses never mix their counts); the scan opens
one around each file's parse, and a source needs to do nothing else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import orjson

REPLACEMENT = "\ufffd"
_REPLACEMENT_UTF8 = REPLACEMENT.encode()
_SURROGATE = re.compile("[\ud800-\udfff]")
# A \uD800-\uDFFF escape somewhere in the text: only then can the decoded value hold a lone one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_INT64 = 2**63


class NotJSON(ValueError):
    """The input is not JSON, even with its text repaired."""


@dataclass
class Repairs:
    """Characters replaced by U+FFFD, by cause."""

    invalid_utf8: int = 0  # bytes that are not UTF-8 (one U+FFFD per maximal invalid subpart)
    lone_surrogates: int = 0  # "\ud800"-style escapes without their other half

    @property
    def total(self) -> int:
        return self.invalid_utf8 + self.lone_surrogates

    def add(self, other: Repairs) -> None:
        self.invalid_utf8 += other.invalid_utf8
        self.lone_surrogates += other.lone_surrogates

    def to_json(self) -> dict[str, int]:
        return {"invalid_utf8": self.invalid_utf8, "lone_surrogates": self.lone_surrogates}


_current: ContextVar[Repairs | None] = ContextVar("av_repairs", default=None)


@contextmanager
def counting() -> Iterator[Repairs]:
    """Count the repairs made inside the block (nested blocks count in their own only)."""
    repairs = Repairs()
    token = _current.set(repairs)
    try:
        yield repairs
    finally:
        _current.reset(token)


def record(repairs: Repairs) -> None:
    """Add repairs counted in an inner block to the enclosing one (a read kept after all)."""
    _count(invalid_utf8=repairs.invalid_utf8, lone_surrogates=repairs.lone_surrogates)


def _count(*, invalid_utf8: int = 0, lone_surrogates: int = 0) -> None:
    repairs = _current.get()
    if repairs is not None:
        repairs.invalid_utf8 += invalid_utf8
        repairs.lone_surrogates += lone_surrogates


def loads(raw: bytes | str) -> Any:
    """Decode JSON; invalid UTF-8 and lone surrogates become U+FFFD (counted). Raises NotJSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return loads_repaired(raw)


def _reject_constant(name: str) -> Any:
    raise NotJSON(f"{name} is not JSON")


def _int(digits: str) -> int | float:
    # orjson reads integers beyond 64 bits as floats; do the same, so a repaired line
    # decodes to what it would have decoded to, and orjson can encode it again.
    value = int(digits)
    return value if -_INT64 <= value < _INT64 * 2 else float(value)


def loads_repaired(raw: bytes | str) -> Any:
    """The repairing decoder alone (for use after ``orjson.loads`` refused ``raw``)."""
    text_value = _utf8_repaired(raw) if isinstance(raw, bytes) else raw
    try:
        obj = json.loads(text_value, parse_constant=_reject_constant, parse_int=_int)
    except (ValueError, RecursionError) as exc:
        raise NotJSON(str(exc)) from None
    if _SURROGATE_ESCAPE.search(text_value) or _SURROGATE.search(text_value):
        obj = _without_surrogates(obj)
    return obj


def text(value: bytes | str) -> str:
    """``value`` as valid Unicode: invalid UTF-8 and lone surrogates become U+FFFD (counted)."""
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return _utf8_repaired(value)
    if value.isascii():
        return value
    return _surrogates_repaired(value)


def _utf8_repaired(raw: bytes) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        decoded = raw.decode(errors="replace")
        _count(invalid_utf8=decoded.count(REPLACEMENT) - raw.count(_REPLACEMENT_UTF8))
        return decoded


def _surrogates_repaired(value: str) -> str:
    found = len(_SURROGATE.findall(value))
    if not found:
        return value
    _count(lone_surrogates=found)
    return _SURROGATE.sub(REPLACEMENT, value)


def _without_surrogates(obj: Any) -> Any:
    """``obj`` with every lone surrogate in its strings (keys included) replaced."""
    kind = type(obj)
    if kind is str:
        return _surrogates_repaired(obj)
    if kind is list:
        return [_without_surrogates(v) for v in obj]
    if kind is dict:
        return {_surrogates_repaired(k): _without_surrogates(v) for k, v in obj.items()}
    return obj
