"""Parsed sessions → protocol v1 JSON (see docs/protocol.md), redacted, bounded and sealed.

Order matters: text is made encodable, secrets are redacted, over-long text is
cut with the protocol's limits and marker (``avprotocol``, which the server applies
too), and only then is the session sealed (chain hashes and fingerprint). So the fingerprint describes
exactly what the server will hold, and the server never has to cut anything
(which would make its copy differ from the fingerprint the client sent).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from avprotocol.limits import MAX_INPUT_JSON_CHARS, MAX_TEXT_CHARS, MAX_TOOL_RESULT_CHARS
from avprotocol.session import MAX_TIME, MIN_TIME
from avprotocol.text import cut as cut_text
from client.fingerprint import seal
from client.model import Message, Session
from client.redact import Redactor
from client.sources import decoding


def _scrub(value: Any) -> Any:
    # The parsers repair what they decode (client.sources.decoding); what is left is text from
    # elsewhere, e.g. a file name that is not UTF-8 (Python holds its bytes as lone surrogates),
    # which UTF-8 JSON cannot carry: repaired to U+FFFD the same way, and counted.
    if isinstance(value, str):
        return decoding.text(value)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    return value


def cut(text: str | None, limit: int) -> str | None:
    return None if text is None else cut_text(text, limit)


def _bound(session: dict[str, Any]) -> None:
    for message in session["messages"]:
        message["content"] = cut(message["content"], MAX_TEXT_CHARS)
        for block in message.get("blocks") or ():
            if isinstance(block, dict) and isinstance(block.get("text"), str):
                block["text"] = cut(block["text"], MAX_TEXT_CHARS)
        for call in message.get("tool_calls") or ():
            call["result_content"] = cut(call.get("result_content"), MAX_TOOL_RESULT_CHARS)
            call["input_json"] = cut(call.get("input_json"), MAX_INPUT_JSON_CHARS)


def sane_time(value: str | None) -> str | None:
    """A time as the agent wrote it, or None when it lies outside the range the server accepts
    (avprotocol.limits: 1970 to 2100; a log saying year 9999 would get the session refused).
    Text that is not an ISO time is left for the server to name."""
    if not value:
        return value
    try:
        parsed = datetime.fromisoformat(value)
        utc = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:
        return None
    except ValueError:
        return value
    return value if MIN_TIME <= utc < MAX_TIME else None


def _message(message: Message) -> dict[str, Any]:
    # Hand-written instead of dataclasses.asdict (which deep-copies everything, 3x the parse time).
    d = dict(message.__dict__)
    usage = d.pop("usage")
    if usage is not None:
        d["usage"] = dict(usage.__dict__)
    if d["blocks"] is not None:
        d["blocks"] = [dict(b) if isinstance(b, dict) else b for b in d["blocks"]]
    d["tool_calls"] = [dict(c.__dict__) for c in message.tool_calls]
    d["timestamp"] = sane_time(d["timestamp"])
    return d


def session_to_wire(session: Session, redactor: Redactor | None = None) -> dict[str, Any]:
    data = dict(session.__dict__)
    data["messages"] = [_message(m) for m in session.messages]
    for key in ("created_at", "started_at", "ended_at"):
        data[key] = sane_time(data[key])
    try:
        orjson.dumps(data)
    except orjson.JSONEncodeError:
        data = _scrub(data)
    if redactor is not None:
        redactor.session(data)
    _bound(data)
    return seal(data)
