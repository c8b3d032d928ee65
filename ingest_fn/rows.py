"""A pushed session as the rows the database stores: text made storable, rows for ``COPY``.

Runs for every message of every push, so the common case (text within its limit,
no NUL) costs a length check and a membership test. Text is never refused for its
length: it is cut with the protocol's marker (``avprotocol.text.cut``), as the client
already cut it before sealing the session; lengths stored (``content_length``,
``result_length``) are those before any cut, the client's included. NUL, which
PostgreSQL's text and ``jsonb`` cannot hold, becomes U+FFFD.

Rows go in with binary ``COPY``: no escaping of megabytes of text on either side.
Measured on the bench data, the function's CPU for formatting rows fell by about half;
the types below must match the columns exactly (int8 for bigint, int4 for integer).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Jsonb

from avprotocol.limits import (
    MAX_FIRST_MESSAGE_CHARS,
    MAX_INDEXED_TEXT_BYTES,
    MAX_INPUT_JSON_CHARS,
    MAX_METADATA_CHARS,
    MAX_TEXT_CHARS,
    MAX_TOOL_RESULT_CHARS,
    TRUNCATION_MARKER,
)
from avprotocol.session import MessageIn, SessionIn
from avprotocol.text import cut, original_length

COPY_MESSAGES_SQL = """
COPY messages (session_pk, ordinal, role, content, blocks, ts, model, message_key, has_thinking,
               has_tool_use, is_system, content_length, input_tokens, output_tokens,
               cache_creation_tokens, cache_read_tokens, chain_hash) FROM STDIN (FORMAT BINARY)"""
MESSAGE_TYPES = [
    "int8",
    "int4",
    "text",
    "text",
    "jsonb",
    "timestamptz",
    "text",
    "text",
    "bool",
    "bool",
    "bool",
    "int4",
    "int4",
    "int4",
    "int4",
    "int4",
    "text",
]
COPY_TOOL_CALLS_SQL = """
COPY tool_calls (session_pk, message_ordinal, call_index, tool_use_id, tool_name, category, input_json,
                 skill_name, result_content, result_length, result_truncated, result_is_error,
                 subagent_session_id) FROM STDIN (FORMAT BINARY)"""
TOOL_CALL_TYPES = [
    "int8",
    "int4",
    "int4",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "int4",
    "bool",
    "bool",
    "text",
]
# The longest marker a cut can end with: a cut text is at least its limit minus this long.
MARKER_ROOM = len(TRUNCATION_MARKER.format(dropped=10**12))
# Metadata strings the server stores at most MAX_METADATA_CHARS of.
METADATA_TEXT = (
    "project",
    "cwd",
    "git_branch",
    "source_path",
    "display_name",
    "parent_session_id",
    "parent_tool_use_id",
)


def storable(text: str | None, limit: int) -> tuple[str | None, bool]:
    """Text PostgreSQL accepts (no NUL) and at most ``limit`` characters, with a marker if cut."""
    if text is None:
        return None, False
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if len(text) <= limit:
        return text, False
    return cut(text, limit), True


def length_before_cut(text: str, limit: int) -> int:
    """The length ``text`` had before a client cut it to ``limit`` (``avprotocol.text``).

    Only a text within a marker's length of the limit can be one the client cut, so every
    other text costs a comparison (this runs for every message of every push).
    """
    return original_length(text) if len(text) > limit - MARKER_ROOM else len(text)


def indexable(text: str | None) -> str | None:
    """``text`` cut (with the marker) to at most ``MAX_INDEXED_TEXT_BYTES`` of UTF-8."""
    if text is None or len(text) * 4 <= MAX_INDEXED_TEXT_BYTES:
        return text
    data = text.encode()
    if len(data) <= MAX_INDEXED_TEXT_BYTES:
        return text
    room = MAX_INDEXED_TEXT_BYTES - len(TRUNCATION_MARKER.format(dropped=len(text)).encode())
    kept = data[:room].decode("utf-8", "ignore")  # never half a character
    return kept + TRUNCATION_MARKER.format(dropped=len(text) - len(kept))


# A JSON escape for NUL that is not itself escaped (an even run of backslashes before it).
_JSON_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def jsonb_bytes(value: Any) -> bytes:
    """JSON that ``jsonb`` accepts: it refuses ``\\u0000``, which becomes U+FFFD like NULs in text.

    orjson cannot write integers beyond 64 bits, which a push's free-form ``blocks`` may
    hold; the standard library can, and ``jsonb`` keeps them exactly (numeric).
    """
    try:
        data = orjson.dumps(value)
    except TypeError:
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    if b"\\u0000" in data:
        data = _JSON_NUL.sub(rb"\1\\ufffd", data)
    return data


def _no_nul(text: str | None) -> str | None:
    """NUL made storable in a field the schema already bounds (so it is never cut)."""
    return text.replace("\x00", "\ufffd") if text is not None and "\x00" in text else text


def message_row(pk: int, msg: MessageIn) -> tuple[Any, ...]:
    # Plain checks first, ``storable`` only when needed.
    text = msg["content"]
    content = (
        text if len(text) <= MAX_TEXT_CHARS and "\x00" not in text else storable(text, MAX_TEXT_CHARS)[0]
    )
    usage = msg.get("usage") or {}
    blocks = msg.get("blocks")
    ts = msg.get("timestamp")
    if ts is not None and ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)  # a timestamp without an offset is UTC (docs/protocol.md)
    return (
        pk,
        msg["ordinal"],
        msg["role"],
        content,
        Jsonb(blocks, jsonb_bytes) if blocks is not None else None,
        ts,
        _no_nul(msg.get("model")),
        _no_nul(msg.get("message_key")),
        msg.get("has_thinking", False),
        msg.get("has_tool_use", False),
        msg.get("is_system", False),
        length_before_cut(text, MAX_TEXT_CHARS),
        usage.get("input_tokens", 0),
        usage.get("output_tokens", 0),
        usage.get("cache_creation_tokens", 0),
        usage.get("cache_read_tokens", 0),
        msg["chain_hash"],
    )


def tool_call_rows(pk: int, msg: MessageIn) -> list[tuple[Any, ...]]:
    rows = []
    for call in msg.get("tool_calls") or ():
        raw_result = call.get("result_content")
        result, was_cut = storable(raw_result, MAX_TOOL_RESULT_CHARS)
        length = length_before_cut(raw_result, MAX_TOOL_RESULT_CHARS) if raw_result is not None else None
        truncated = was_cut or (raw_result is not None and length != len(raw_result))  # here or by the client
        input_json, _ = storable(call.get("input_json"), MAX_INPUT_JSON_CHARS)
        rows.append(
            (
                pk,
                msg["ordinal"],
                call["call_index"],
                _no_nul(call.get("tool_use_id", "")),
                _no_nul(call["tool_name"]),
                _no_nul(call.get("category", "other")),
                input_json,
                _no_nul(call.get("skill_name")),
                result,
                length,
                truncated,
                call.get("result_is_error", False),
                _no_nul(call.get("subagent_session_id")),
            )
        )
    return rows


def copy_rows(
    cur: psycopg.Cursor[Any],
    writes: Sequence[tuple[int, SessionIn]],
    *,
    statements: tuple[str, str] = (COPY_MESSAGES_SQL, COPY_TOOL_CALLS_SQL),
) -> None:
    """The messages, then the tool calls, of every (session pk, session) in ``writes``: one COPY each.

    ``statements`` lets bench/ingest_bench.py copy the same rows into its baseline tables.
    """
    messages_sql, tool_calls_sql = statements
    with cur.copy(messages_sql) as copy:
        copy.set_types(MESSAGE_TYPES)
        for pk, session in writes:
            for msg in session.messages:
                copy.write_row(message_row(pk, msg))
    if any(msg.get("tool_calls") for _, session in writes for msg in session.messages):
        with cur.copy(tool_calls_sql) as copy:
            copy.set_types(TOOL_CALL_TYPES)
            for pk, session in writes:
                for msg in session.messages:
                    for row in tool_call_rows(pk, msg):
                        copy.write_row(row)


def session_params(pk: int, session: SessionIn) -> dict[str, Any]:
    """The parameters of ``store.UPDATE_SESSION_SQL`` for one session: its metadata, made storable."""
    params = session.model_dump(exclude={"messages", "session_id", "first_message", "base", "complete"})
    chain_head = (
        session.messages[-1]["chain_hash"]
        if session.messages
        else (session.base.chain_hash if session.base else None)
    )
    params.update(
        pk=pk,
        first_message=storable(session.first_message, MAX_FIRST_MESSAGE_CHARS)[0],
        chain_head=chain_head,
        # An incomplete session has no fingerprint yet, so the next plan resumes it.
        fingerprint=session.fingerprint if session.complete else "",
    )
    for key in METADATA_TEXT:
        params[key] = storable(params[key], MAX_METADATA_CHARS)[0]
    params["project"] = indexable(params["project"])
    return params
