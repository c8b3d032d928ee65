"""Message pages bounded by bytes as well as by count; long texts cut, with their full size.

Rows come from queries_sessions.list_messages with every text already cut to
``BLOCK_CHARS`` in SQL (``left()``, and ``char_length()`` only when the text is
longer in bytes), so a megabyte tool output never leaves the database for a page.
Here each row becomes a :class:`~viewer_fn.models.Message`: texts longer than the
cut are shortened and get a :class:`~viewer_fn.models.Cut` naming their full size
and the URL of the rest; strings inside the free-form ``blocks`` are cut the same
way, addressed by JSON pointer. Messages are added while their JSON fits the
page's byte budget. A first message that alone would not fit is cut harder (down
to no text at all, then ``blocks`` dropped as one cut), so every page holds at
least one message and every byte stays reachable through the ranged text route.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from viewer_fn import budget as budget_module
from viewer_fn.budget import BLOCK_CHARS, json_size
from viewer_fn.models import Cut, CutPart, Message

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


def to_message(row: dict[str, Any], *, cut_chars: int, link: Link, drop_blocks: bool = False) -> Message:
    ordinal: int = row["ordinal"]
    cuts: list[Cut] = []

    def cut(part: CutPart, text: str | None, total: int | None, call_index: int | None = None) -> str | None:
        shown, full = _cut(text, total, cut_chars)
        if full is not None and shown is not None:
            cuts.append(
                Cut(
                    part=part,
                    call_index=call_index,
                    pointer=None,
                    shown_chars=len(shown),
                    total_chars=full,
                    url=link(ordinal, part, call_index, None, len(shown)),
                )
            )
        return shown

    content = cut("content", row["content"], row.get("content_chars")) or ""
    blocks = row.get("blocks")
    if blocks is not None and drop_blocks:
        cuts.append(
            Cut(
                part="blocks",
                call_index=None,
                pointer=None,
                shown_chars=0,
                total_chars=len(blocks_text(blocks)),
                url=link(ordinal, "blocks", None, None, 0),
            )
        )
        blocks = None
    elif blocks is not None:
        found: list[tuple[str, int, int]] = []
        blocks = _cut_strings(blocks, "", cut_chars, found)
        cuts += [
            Cut(
                part="block",
                call_index=None,
                pointer=p,
                shown_chars=shown,
                total_chars=total,
                url=link(ordinal, "block", None, p, shown),
            )
            for p, shown, total in found
        ]
    calls = []
    for call in row["tool_calls"]:
        i = call["call_index"]
        calls.append(
            {
                **call,
                "input_json": cut("tool_input", call["input_json"], call.get("input_chars"), i),
                "result_content": cut("tool_result", call["result_content"], call.get("result_chars"), i),
            }
        )
    return Message.model_validate(
        {**row, "content": content, "blocks": blocks, "tool_calls": calls, "cuts": cuts}
    )


def fit_alone(row: dict[str, Any], link: Link, budget: int) -> Message:
    """The first message of a page, cut as hard as it takes to fit ``budget`` on its own."""
    message = to_message(row, cut_chars=BLOCK_CHARS, link=link)
    for cut_chars in HARDER_CUTS:
        if json_size(message) <= budget:
            return message
        message = to_message(row, cut_chars=cut_chars, link=link)
    if json_size(message) > budget and row.get("blocks") is not None:
        message = to_message(row, cut_chars=0, link=link, drop_blocks=True)
    return message


def message_page(
    rows: list[dict[str, Any]], *, limit: int, link: Link, budget: int | None = None
) -> tuple[list[Message], int | None]:
    """At most ``limit`` messages of ``rows`` (fetched ``limit + 1``) within ``budget`` bytes of JSON
    (default ROWS_BUDGET_BYTES), and the ordinal the next page starts at (None on the last page)."""
    budget = budget_module.ROWS_BUDGET_BYTES if budget is None else budget
    page: list[Message] = []
    used = 0
    for row in rows[:limit]:
        message = (
            fit_alone(row, link, budget) if not page else to_message(row, cut_chars=BLOCK_CHARS, link=link)
        )
        size = json_size(message) + 1
        if page and used + size > budget:
            return page, row["ordinal"]
        page.append(message)
        used += size
    return page, rows[limit]["ordinal"] if len(rows) > limit else None
