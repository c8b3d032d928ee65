"""Message pages bounded by bytes as well as by count; long texts cut, with their full size.

Rows come from queries_sessions.list_messages with every text already cut to
``BLOCK_CHARS`` in SQL (``left()``, and ``char_length()`` only when the text is
longer in bytes), so a megabyte tool output never leaves the database for a page.
Here each row becomes the fields of a :class:`~viewer_fn.models.Message`, encoded
once to JSON (message_json.py): texts longer than the cut are shortened and get a
:class:`~viewer_fn.models.Cut` naming their full size and the URL of the rest;
strings inside the free-form ``blocks`` are cut the same way, addressed by JSON
pointer. Messages are added while their JSON bytes fit the page's byte budget. A first message that alone would not fit is cut harder (down
to no text at all, then ``blocks`` dropped as one cut), so every page holds at
least one message and every byte stays reachable through the ranged text route.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from viewer_fn import budget as budget_module
from viewer_fn.budget import BLOCK_CHARS
from viewer_fn.message_json import encode_message
from viewer_fn.models import CutPart

# Cuts tried, in order, for a first message too big for the page on its own.
HARDER_CUTS = (BLOCK_CHARS // 8, 1_024, 128, 0)
# (ordinal, part, call_index, pointer, offset) -> the URL of the rest
Link = Callable[[int, CutPart, int | None, str | None, int], str]


def _cut(text: str | None, total: int | None, cut_chars: int) -> tuple[str | None, int | None]:
    """``text`` to at most ``cut_chars``; the full length when it was cut (``total`` from SQL, if known)."""
    if text is None:
        return None, None
    full = total if total is not None else len(text)
    if full <= cut_chars:
        return text, None
    return text[:cut_chars], full


def blocks_text(blocks: Any) -> str:
    """``blocks`` as the JSON text the ranged route serves for part ``blocks`` (stdlib json: exact
    for integers of any size, which ``blocks`` may hold)."""
    return json.dumps(blocks, ensure_ascii=False, separators=(",", ":"))


def pointer_token(key: str | int) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def pointer_path(pointer: str) -> list[str]:
    """An RFC 6901 pointer as path elements (``/0/text`` -> ``["0", "text"]``)."""
    if not pointer.startswith("/"):
        raise ValueError("a JSON pointer starts with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _cut_strings(value: Any, pointer: str, cut_chars: int, found: list[tuple[str, int, int]]) -> Any:
    """``value`` with every string longer than ``cut_chars`` cut; ``found`` gets (pointer, shown, total)."""
    if isinstance(value, str):
        if len(value) > cut_chars:
            found.append((pointer, cut_chars, len(value)))
            return value[:cut_chars]
        return value
    if isinstance(value, list):
        return [_cut_strings(v, f"{pointer}/{i}", cut_chars, found) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {
            k: _cut_strings(v, f"{pointer}/{pointer_token(k)}", cut_chars, found) for k, v in value.items()
        }
    return value


def message_fields(
    row: dict[str, Any], *, cut_chars: int, link: Link, drop_blocks: bool = False, walk_blocks: bool = True
) -> dict[str, Any]:
    """Every field of a :class:`~viewer_fn.models.Message`, in its order, with texts cut to
    ``cut_chars`` and a ``cuts`` entry for each text that was (the strings inside ``blocks`` only
    with ``walk_blocks``)."""
    ordinal: int = row["ordinal"]
    cuts: list[dict[str, Any]] = []

    def add_cut(part: CutPart, call_index: int | None, pointer: str | None, shown: int, total: int) -> None:
        cuts.append(
            {
                "part": part,
                "call_index": call_index,
                "pointer": pointer,
                "shown_chars": shown,
                "total_chars": total,
                "url": link(ordinal, part, call_index, pointer, shown),
            }
        )

    def cut(part: CutPart, text: str | None, total: int | None, call_index: int | None = None) -> str | None:
        shown, full = _cut(text, total, cut_chars)
        if full is not None and shown is not None:
            add_cut(part, call_index, None, len(shown), full)
        return shown

    content = cut("content", row["content"], row.get("content_chars")) or ""
    blocks = row.get("blocks")
    if blocks is not None and drop_blocks:
        add_cut("blocks", None, None, 0, len(blocks_text(blocks)))
        blocks = None
    elif blocks is not None and walk_blocks:
        found: list[tuple[str, int, int]] = []
        blocks = _cut_strings(blocks, "", cut_chars, found)
        for p, shown, total in found:
            add_cut("block", None, p, shown, total)
    calls = [
        {
            "call_index": call["call_index"],
            "tool_use_id": call["tool_use_id"],
            "tool_name": call["tool_name"],
            "category": call["category"],
            "input_json": cut("tool_input", call["input_json"], call.get("input_chars"), call["call_index"]),
            "skill_name": call["skill_name"],
            "result_content": cut(
                "tool_result", call["result_content"], call.get("result_chars"), call["call_index"]
            ),
            "result_length": call["result_length"],
            "result_truncated": call["result_truncated"],
            "result_is_error": call["result_is_error"],
            "subagent_session_id": call["subagent_session_id"],
        }
        for call in row["tool_calls"]
    ]
    return {
        "ordinal": ordinal,
        "role": row["role"],
        "content": content,
        "blocks": blocks,
        "timestamp": row["timestamp"],
        "model": row["model"],
        "message_key": row["message_key"],
        "has_thinking": row["has_thinking"],
        "has_tool_use": row["has_tool_use"],
        "is_system": row["is_system"],
        "content_length": row["content_length"],
        "input_tokens": row["input_tokens"],
        "output_tokens": row["output_tokens"],
        "cache_creation_tokens": row["cache_creation_tokens"],
        "cache_read_tokens": row["cache_read_tokens"],
        "tool_calls": calls,
        "cuts": cuts,
    }


def encoded(row: dict[str, Any], *, cut_chars: int, link: Link, drop_blocks: bool = False) -> bytes:
    """The message of ``row`` as JSON, its texts cut to ``cut_chars``.

    Walking ``blocks`` for strings to cut costs ~20 us a message (10 ms a 500-message page) and
    almost never finds one, so it is skipped when the message's whole JSON is at most
    ``cut_chars`` bytes: a string of n characters takes at least n bytes of JSON."""
    fields = message_fields(row, cut_chars=cut_chars, link=link, drop_blocks=drop_blocks, walk_blocks=False)
    body = encode_message(fields)
    if fields["blocks"] is not None and len(body) > cut_chars:
        body = encode_message(message_fields(row, cut_chars=cut_chars, link=link, drop_blocks=drop_blocks))
    return body


def fit_alone(row: dict[str, Any], link: Link, budget: int) -> bytes:
    """The first message of a page, cut as hard as it takes to fit ``budget`` on its own."""
    message = encoded(row, cut_chars=BLOCK_CHARS, link=link)
    for cut_chars in HARDER_CUTS:
        if len(message) <= budget:
            return message
        message = encoded(row, cut_chars=cut_chars, link=link)
    if len(message) > budget and row.get("blocks") is not None:
        message = encoded(row, cut_chars=0, link=link, drop_blocks=True)
    return message


def message_page(
    rows: list[dict[str, Any]], *, limit: int, link: Link, budget: int | None = None
) -> tuple[list[bytes], int | None]:
    """At most ``limit`` messages of ``rows`` (fetched ``limit + 1``), each as its JSON, within
    ``budget`` bytes (default ROWS_BUDGET_BYTES), and the ordinal the next page starts at (None on
    the last page). Each message is encoded once: its bytes are both what the bound counts and
    what the page sends (message_json.page_json joins them)."""
    budget = budget_module.ROWS_BUDGET_BYTES if budget is None else budget
    page: list[bytes] = []
    used = 0
    for row in rows[:limit]:
        message = fit_alone(row, link, budget) if not page else encoded(row, cut_chars=BLOCK_CHARS, link=link)
        size = len(message) + 1  # the separating comma
        if page and used + size > budget:
            return page, row["ordinal"]
        page.append(message)
        used += size
    return page, rows[limit]["ordinal"] if len(rows) > limit else None
