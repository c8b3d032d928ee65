"""Reading records out of agents' files: JSONL lines, JSON documents, timestamps.

The rules every source follows (docs/client.md, "Reading rules"):

* JSON goes through :mod:`client.sources.decoding`, so invalid UTF-8 and lone
  surrogates become U+FFFD (counted) instead of losing the record.
* In a JSONL file a line that is not JSON, or not an object, is one
  :class:`ParseProblem` and is skipped; the last non-blank line is a write in
  progress when it does not decode, and is skipped silently (it is reported
  once more lines follow it).
* A JSON document that does not decode is one problem for the whole file.

Timestamps arrive as RFC 3339 strings of every precision and offset, or as
Unix seconds or milliseconds. :func:`iso` turns each into one canonical UTC
form, ``YYYY-MM-DDTHH:MM:SS.mmmZ``, so that string order is time order (the
session's start and end are its smallest and largest stamp).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from client.model import ParseProblem
from client.sources import decoding
from client.sources.reading import read_log

# Numbers above this are milliseconds (it is 5138 AD in seconds, 1973 in milliseconds).
_MS_THRESHOLD = 1e11


def iso(value: Any) -> str | None:
    """Canonical UTC ``…T…Z`` (milliseconds) for an RFC 3339 string or Unix s/ms; None if unusable."""
    if type(value) in (int, float) and not isinstance(value, bool):
        seconds = value / 1000 if value > _MS_THRESHOLD else value
        if seconds <= 0:
            return None
        try:
            dt = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif type(value) is str and value.strip():
        text = value.strip()
        if text.isdigit():
            return iso(int(text))
        try:
            dt = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
        except ValueError:
            return None
        dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    else:
        return None
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def bounds(stamps: Iterable[str | None]) -> tuple[str | None, str | None]:
    """(earliest, latest) of canonical stamps (see :func:`iso`)."""
    present = [s for s in stamps if s]
    return (min(present), max(present)) if present else (None, None)


def jsonl_records(
    data: bytes, spath: str, problems: list[ParseProblem]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for every JSON-object line (see the module docstring)."""
    lines = data.split(b"\n")
    last = len(lines) - 1
    while last > 0 and not lines[last].strip():
        last -= 1
    for index, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            obj = decoding.loads(raw)
        except decoding.NotJSON:
            if index != last:
                problems.append(ParseProblem(spath, index + 1, "malformed JSON line"))
            continue
        if type(obj) is not dict:
            problems.append(ParseProblem(spath, index + 1, "line is not a JSON object"))
            continue
        yield index + 1, obj


def read_jsonl(path: Path, problems: list[ParseProblem]) -> list[tuple[int, dict[str, Any]]] | None:
    """Every record of a JSONL file, or None (and one problem) if it cannot be read."""
    spath = str(path)
    data = read_log(spath)
    if isinstance(data, ParseProblem):
        problems.append(data)
        return None
    return list(jsonl_records(data, spath, problems))


def read_json(path: Path, problems: list[ParseProblem], *, what: str = "JSON file") -> Any:
    """The decoded document, or None (and one problem) if unreadable or not JSON."""
    spath = str(path)
    data = read_log(spath)
    if isinstance(data, ParseProblem):
        problems.append(data)
        return None
    try:
        return decoding.loads(data)
    except decoding.NotJSON:
        problems.append(ParseProblem(spath, None, f"malformed {what}"))
        return None


def loads_or_none(raw: Any) -> Any:
    """A JSON value embedded as a string (an SQLite column, an ``arguments`` field), or None."""
    if type(raw) is bytes or type(raw) is str:
        if not raw.strip():
            return None
        try:
            return decoding.loads(raw)
        except decoding.NotJSON:
            return None
    return None


def text_of(value: Any) -> str | None:
    """A text value read from SQLite or a file name, repaired; None for anything else."""
    if type(value) is str or type(value) is bytes:
        return decoding.text(value)
    return None


def string(d: Any, *keys: str) -> str:
    """The first non-blank string among ``d[key]`` (``d`` untrusted), else ``""``."""
    if type(d) is not dict:
        return ""
    for key in keys:
        v = d.get(key)
        if type(v) is str and v.strip():
            return v
    return ""


def obj(d: Any, key: str) -> dict[str, Any]:
    """``d[key]`` when it is a JSON object (``d`` untrusted), else an empty one."""
    v = d.get(key) if type(d) is dict else None
    return v if type(v) is dict else {}


def number(v: Any) -> int:
    """A non-negative token count from untrusted input (bools, strings and negatives are 0)."""
    if type(v) is int and v > 0:
        return v
    if type(v) is float and v > 0 and v == v and v < 2**62:
        return int(v)
    return 0
