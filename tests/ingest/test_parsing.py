"""A push body read in one pass when valid gives exactly what the careful, item-by-item reading gives."""

from __future__ import annotations

import orjson
import pytest

from avcore.web import BadRequest
from avprotocol.answers import ItemResult
from avprotocol.limits import MAX_JSON_DEPTH
from avprotocol.session import SessionIn
from ingest_fn.parsing import parse_push, parse_push_carefully
from tests.apps import make_session, push_body


def nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def test_a_valid_push_reads_the_same_both_ways() -> None:
    session = make_session("a", messages=6, cwd="/w", started="2026-11-01T10:00:00+02:00")
    session["messages"][0]["timestamp"] = "2026-11-01T10:00:00"  # no offset: UTC
    session["messages"][1]["blocks"] = [{"type": "text", "text": "ok", "deep": nested(20)}]
    data = orjson.dumps(push_body(session, make_session("b"), request_id="req-12345"))
    fast, careful = parse_push(data), parse_push_carefully(data)
    assert fast == careful and fast.request_id == "req-12345"
    assert all(isinstance(i, SessionIn) for i in fast.items)
    first = fast.items[0]
    assert isinstance(first, SessionIn)
    assert first.started_at is not None and first.started_at.hour == 8  # +02:00 normalised to UTC


def test_an_invalid_session_is_named_alone_and_the_rest_kept() -> None:
    bad = make_session("bad")
    bad["messages"][0]["role"] = "nobody"
    data = orjson.dumps(push_body(make_session("good"), bad))
    items = parse_push(data).items
    assert isinstance(items[0], SessionIn) and items[0].session_id == "good"
    assert isinstance(items[1], ItemResult) and items[1].status == "rejected"
    assert items[1].errors[0].field == "messages.0.role"


def test_blocks_nested_beyond_the_limit_are_refused_even_when_the_schema_accepts_them() -> None:
    ok_depth = MAX_JSON_DEPTH - 7  # the block dict sits at depth 7 of the body; both paths agree at the edge
    fine = make_session("fine")
    fine["messages"][0]["blocks"] = [{"a": nested(ok_depth)}]
    assert isinstance(parse_push(orjson.dumps(push_body(fine))).items[0], SessionIn)
    deep = make_session("deep")
    deep["messages"][0]["blocks"] = [{"a": nested(ok_depth + 1)}]
    with pytest.raises(BadRequest, match="nested deeper than 64"):
        parse_push(orjson.dumps(push_body(deep)))


def test_lone_surrogates_take_the_careful_path_and_are_repaired() -> None:
    data = orjson.dumps(push_body(make_session("s"))).replace(b"user message 0", b"user \\ud800 message 0")
    item = parse_push(data).items[0]
    assert isinstance(item, SessionIn) and item.messages[0]["content"].startswith("user \ufffd message 0")


def test_the_sessions_limit_holds_on_both_paths() -> None:
    from avprotocol.limits import MAX_SESSIONS_PER_PUSH

    many = [make_session(f"s{i}", messages=1) for i in range(MAX_SESSIONS_PER_PUSH + 1)]
    with pytest.raises(BadRequest) as valid_ones:
        parse_push(orjson.dumps(push_body(*many)))
    many[0]["agent"] = "Not An Agent"
    with pytest.raises(BadRequest) as with_a_bad_one:
        parse_push(orjson.dumps(push_body(*many)))
    for refused in (valid_ones.value, with_a_bad_one.value):
        assert any(e["field"] == "sessions" and "500" in e["message"] for e in refused.errors)
