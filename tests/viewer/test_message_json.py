"""A message page is encoded once, with orjson (viewer_fn/message_json.py), and must be exactly
what the declared response model (MessagePage, the source of the OpenAPI document and of the
page's types) sends: the same fields, in the same order, the same bytes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from tests.viewer.bounded_sessions import distinct_text, push_gzip, session
from viewer_fn.budget import BLOCK_CHARS
from viewer_fn.message_json import encode_message, page_json
from viewer_fn.message_pages import message_fields, message_page
from viewer_fn.models import Message, MessagePage

MESSAGES = "/api/v1/sessions/laptop:{sid}/messages"
ODD_TEXT = 'quote " backslash \\ slash / tab \t nl \n nul-ish \x01 \x1f del \x7f ls \u2028 漢字 😀 \ufffd'


def _link(ordinal: int, part: str, call_index: int | None, pointer: str | None, offset: int) -> str:
    return f"https://viewer.test/api/v1/sessions/m:s/messages/{ordinal}/text?part={part}&offset={offset}"


def _row(**over: Any) -> dict[str, Any]:
    """A row as queries_sessions.list_messages returns it."""
    row: dict[str, Any] = {
        "ordinal": 3,
        "role": "assistant",
        "content": ODD_TEXT,
        "content_chars": None,
        "blocks": None,
        "timestamp": datetime(2026, 11, 1, 10, 0, 5, tzinfo=UTC),
        "model": "claude-x",
        "message_key": None,
        "has_thinking": False,
        "has_tool_use": True,
        "is_system": False,
        "content_length": 71,
        "input_tokens": 2**40,
        "output_tokens": 0,
        "cache_creation_tokens": 5,
        "cache_read_tokens": 6,
        "tool_calls": [
            {
                "call_index": 0,
                "tool_use_id": "t0",
                "tool_name": "Bash",
                "category": "bash",
                "input_json": '{"command": "ls"}',
                "input_chars": None,
                "skill_name": None,
                "result_content": ODD_TEXT,
                "result_chars": None,
                "result_length": None,
                "result_truncated": False,
                "result_is_error": True,
                "subagent_session_id": "child",
            }
        ],
    }
    row.update(over)
    return row


def _deep(levels: int) -> list[dict[str, Any]]:
    inner: Any = "bottom"
    for _ in range(levels):
        inner = [inner]
    return [{"type": "text", "nested": inner}]


ROWS = {
    "plain": _row(),
    "no time, no calls": _row(timestamp=None, tool_calls=[], role="user", content=""),
    "microseconds": _row(timestamp=datetime(2026, 1, 2, 3, 4, 5, 120, tzinfo=UTC)),
    "an offset": _row(
        timestamp=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    ),
    "blocks": _row(
        blocks=[
            {"type": "text", "text": ODD_TEXT, "n": 1.5, "big": 1e300, "tiny": 5e-324, "x": [None, True, {}]},
            {"type": "thinking", "キー": "値", "": 0, "neg": -(2**63)},
        ]
    ),
    "cut texts": _row(
        content="c" * (BLOCK_CHARS + 5),
        blocks=[{"type": "text", "a/b~c": "b" * (BLOCK_CHARS + 1)}],
        tool_calls=[{**_row()["tool_calls"][0], "result_content": "r" * BLOCK_CHARS, "result_chars": 10**6}],
    ),
    # What orjson refuses goes through pydantic: the bytes must not change either way.
    "an integer beyond 64 bits": _row(blocks=[{"type": "text", "n": 2**70, "m": -(2**64)}]),
    "nesting as deep as ingest lets in": _row(blocks=_deep(60)),
}


@pytest.mark.parametrize("name", list(ROWS))
def test_each_message_is_the_bytes_pydantic_sends(name: str) -> None:
    fields = message_fields(copy.deepcopy(ROWS[name]), cut_chars=BLOCK_CHARS, link=_link)
    model = Message.model_validate(copy.deepcopy(fields))
    assert encode_message(fields) == model.model_dump_json().encode()


def test_cuts_are_listed_in_the_same_order_and_shape() -> None:
    fields = message_fields(copy.deepcopy(ROWS["cut texts"]), cut_chars=BLOCK_CHARS, link=_link)
    parts = [(c["part"], c["call_index"], c["pointer"], c["total_chars"]) for c in fields["cuts"]]
    assert parts == [
        ("content", None, None, BLOCK_CHARS + 5),
        ("block", None, "/0/a~1b~0c", BLOCK_CHARS + 1),
        ("tool_result", 0, None, 10**6),
    ]


def test_blocks_of_another_shape_are_refused_as_the_model_refuses_them() -> None:
    for bad in ("text", [1, 2], {"type": "text"}):
        fields = message_fields(_row(blocks=bad), cut_chars=BLOCK_CHARS, link=_link)
        with pytest.raises(ValidationError):
            encode_message(fields)


def test_the_page_envelope_is_the_models() -> None:
    rows = [
        encode_message(message_fields(_row(ordinal=i), cut_chars=BLOCK_CHARS, link=_link)) for i in range(3)
    ]
    for links in (
        {"next": None, "next_url": None},
        {"next": "tok\u00e9n", "next_url": "https://v/x?cursor=a%2Fb"},
    ):
        body = page_json(rows, **links)
        assert MessagePage.model_validate_json(body).model_dump_json().encode() == body
    assert (
        page_json([], next=None, next_url=None)
        == MessagePage(rows=[], next=None, next_url=None).model_dump_json().encode()
    )


def test_pages_served_are_the_declared_model_byte_for_byte(apps) -> None:
    messages: list[dict[str, Any]] = [
        {"content": ODD_TEXT, "timestamp": "2026-11-01T10:00:00.123456Z"},
        {
            "content": "x" * (BLOCK_CHARS + 10),
            "timestamp": "2026-11-01T12:00:00+02:00",
            "blocks": [
                {"type": "text", "text": ODD_TEXT, "f": 0.1, "long": distinct_text("b", BLOCK_CHARS + 3)}
            ],
            "has_tool_use": True,
            "tool_calls": [
                {
                    "call_index": 0,
                    "tool_name": "Read",
                    "category": "read",
                    "tool_use_id": "r0",
                    "input_json": '{"file_path": "/漢"}',
                    "result_content": distinct_text("out", BLOCK_CHARS * 2),
                    "result_is_error": True,
                }
            ],
        },
        *({"content": f"m{i} {ODD_TEXT}"} for i in range(2, 40)),
    ]
    push_gzip(apps, session("json", messages))
    auth = {"Authorization": f"Bearer {apps.viewer_token}"}
    seen = 0
    for params in ({"limit": 500}, {"limit": 7}, {"limit": 7, "direction": "desc"}):
        r = apps.viewer.get(MESSAGES.format(sid="json"), params=params, headers=auth)
        assert r.status_code == 200, r.text[:300]
        page = MessagePage.model_validate_json(r.content)  # validates against the declared model
        assert page.model_dump_json().encode() == r.content
        assert (page.next is None) == (params["limit"] == 500)
        seen += len(page.rows)
    first = apps.viewer.get(MESSAGES.format(sid="json"), params={"limit": 2}, headers=auth).json()["rows"][1]
    assert [c["part"] for c in first["cuts"]] == ["content", "block", "tool_result"]
    assert seen == 40 + 7 + 7


def test_a_block_string_past_the_cut_is_cut_and_one_at_the_cut_is_whole() -> None:
    # The page walks blocks only when the message's JSON is longer than the cut: just so here.
    texts = ["b" * (BLOCK_CHARS + 1), "c" * BLOCK_CHARS, "é" * (BLOCK_CHARS // 2)]
    rows = [
        _row(ordinal=i, content="", tool_calls=[], blocks=[{"type": "text", "text": t}])
        for i, t in enumerate(texts)
    ]
    page, position = message_page(rows, limit=3, link=_link)
    assert position is None
    cut, at_cut, short = (orjson.loads(m) for m in page)
    assert cut["blocks"][0]["text"] == texts[0][:BLOCK_CHARS]
    assert [(c["part"], c["pointer"], c["shown_chars"], c["total_chars"]) for c in cut["cuts"]] == [
        ("block", "/0/text", BLOCK_CHARS, BLOCK_CHARS + 1)
    ]
    assert (at_cut["blocks"][0]["text"], at_cut["cuts"]) == (texts[1], [])
    assert (short["blocks"][0]["text"], short["cuts"]) == (texts[2], [])
