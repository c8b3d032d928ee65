"""The contract: what av-client builds is what ingest_fn accepts, and both sides use one definition.

No database and no network: the client's own code encodes sessions parsed from a generated
Claude Code corpus into request bodies, and the server's own code parses them. Each test
fails when one side drifts from ``avprotocol`` (a field added, renamed or dropped on one side,
an encoding that no longer validates, a client limit above the server's).
"""

from __future__ import annotations

import dataclasses
import gzip
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from avprotocol import PROTOCOL_VERSION, limits
from avprotocol.answers import ItemResult
from avprotocol.requests import DeleteRequest, PlanRequest, PlanSessionIn
from avprotocol.session import MessageIn, SessionIn, ToolCallIn, UsageIn
from client import model, parts, push
from client.redact import Redactor
from client.scan import parse_file
from client.sources.registry import sources
from client.transport import gzip_json
from infra.local.demo_corpus import write_demo_corpus
from ingest_fn.body import checked_json
from ingest_fn.parsing import parse_push, validate_request


def keys(typed: Any) -> set[str]:
    """The keys of a TypedDict or the fields of a model."""
    if isinstance(typed, type) and issubclass(typed, BaseModel):
        return set(typed.model_fields)
    return set(typed.__annotations__)


def fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize(
    ("client_type", "wire_type", "only_on_the_wire"),
    [
        (model.Usage, UsageIn, set()),
        (model.ToolCall, ToolCallIn, set()),
        (model.Message, MessageIn, {"chain_hash"}),  # the client's seal() adds it
        (model.Session, SessionIn, {"fingerprint", "base", "complete", "replace"}),  # seal(), the parts
    ],
)
def test_the_clients_parsed_types_name_exactly_the_protocols_fields(
    client_type: type, wire_type: Any, only_on_the_wire: set[str]
) -> None:
    assert fields(client_type) == keys(wire_type) - only_on_the_wire, (
        f"client.model.{client_type.__name__} and avprotocol's {wire_type.__name__} disagree: "
        f"only in the client {sorted(fields(client_type) - keys(wire_type))}, "
        f"only in the protocol {sorted(keys(wire_type) - only_on_the_wire - fields(client_type))}"
    )


@pytest.fixture(scope="module")
def corpus_sessions(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Sealed wire sessions, exactly as a push builds them, from a corpus with tool calls,
    thinking, subagents and a secret for the redactor."""
    root = tmp_path_factory.mktemp("corpus")
    paths = write_demo_corpus(root, sessions=6, seed=5)
    claude = next(s for s in sources() if s.name == "claude")
    out: list[dict[str, Any]] = []
    for path in paths:
        scanned = parse_file(claude, Path(path), Redactor(()))
        assert scanned is not None and scanned.wire
        out.extend(scanned.wire.values())
    assert any(m.get("tool_calls") for s in out for m in s["messages"])
    return out


def server_items(body: bytes) -> list[SessionIn | ItemResult]:
    return parse_push(gzip.decompress(body)).items


def test_every_request_the_client_builds_is_accepted_whole_by_the_server(
    corpus_sessions: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small pieces, so sessions are cut into parts: bases, complete=false, empty tails.
    monkeypatch.setattr(parts, "RAW_PIECE_BYTES", 6_000)
    outgoing = [(parts.Outgoing(s, ""), 0) for s in corpus_sessions]
    built = list(parts.requests(outgoing, parts.RequestSizer(raw_target=20_000)))
    assert len(built) > 3
    parts_seen = 0
    for request in built:
        assert isinstance(request, parts.Request)
        items = server_items(request.body)
        rejected = [i for i in items if isinstance(i, ItemResult)]
        assert not rejected, rejected[0].model_dump()
        for piece, item in zip(request.pieces, items, strict=True):
            assert isinstance(item, SessionIn)
            assert item.session_id == piece.session.session_id
            assert item.complete is piece.complete
            assert len(item.messages) == piece.end - piece.start
            if piece.start:
                parts_seen += 1
                assert item.base is not None and item.base.ordinal == piece.start
    assert parts_seen, "no session was cut into parts: the test lost its point"


def test_the_servers_fast_path_and_careful_path_agree_on_the_clients_bodies(
    corpus_sessions: list[dict[str, Any]],
) -> None:
    from ingest_fn.parsing import parse_push_carefully

    outgoing = [(parts.Outgoing(s, ""), 0) for s in corpus_sessions]
    (request,) = list(parts.requests(outgoing, parts.RequestSizer()))
    assert isinstance(request, parts.Request)
    raw = gzip.decompress(request.body)
    assert parse_push(raw).items == parse_push_carefully(raw).items


def test_plan_and_delete_bodies_are_what_the_server_validates(corpus_sessions: list[dict[str, Any]]) -> None:
    from client.fingerprint import checkpoints

    plan = PlanRequest(
        protocol=PROTOCOL_VERSION,
        sessions=[
            PlanSessionIn(
                session_id=s["session_id"],
                fingerprint=s["fingerprint"],
                message_count=len(s["messages"]),
                checkpoints=[(o, h) for o, h in checkpoints(s)],
            )
            for s in corpus_sessions
        ],
    )
    parsed = validate_request(PlanRequest, checked_json(gzip.decompress(gzip_json(plan))), "plan")
    assert parsed == plan
    deletes = DeleteRequest(
        protocol=PROTOCOL_VERSION,
        request_id=uuid.uuid4().hex,
        session_ids=[s["session_id"] for s in corpus_sessions],
    )
    assert (
        validate_request(DeleteRequest, orjson.loads(gzip.decompress(gzip_json(deletes))), "deletes")
        == deletes
    )


def test_the_clients_own_bounds_stay_within_the_servers() -> None:
    assert parts.MAX_ITEMS_PER_REQUEST <= limits.MAX_SESSIONS_PER_PUSH
    assert parts.MAX_MESSAGES_PER_PIECE <= limits.MAX_MESSAGES_PER_SESSION_PART
    assert push.MAX_PLAN_SESSIONS <= limits.MAX_PLAN_SESSIONS
    # API Gateway base64-encodes the body it hands Lambda: 4/3 of what the client sends.
    assert parts.MAX_REQUEST_BYTES * 4 / 3 <= limits.MAX_BODY_BYTES
    assert parts.RAW_REQUEST_BYTES <= limits.MAX_DECOMPRESSED_BYTES


def test_over_long_text_is_cut_by_the_client_exactly_as_the_server_would() -> None:
    """The client cuts before it seals, so the server, which cuts too, must store what was fingerprinted;
    and it still knows the text was cut, and how long it was."""
    from client.wire import session_to_wire
    from ingest_fn.rows import message_row, tool_call_rows

    content = "x" * (limits.MAX_TEXT_CHARS + 5)
    output = "y" * (limits.MAX_TOOL_RESULT_CHARS + 7)
    tool_call = model.ToolCall(0, "Bash", result_content=output)
    session = model.Session(
        "cut", "claude", messages=[model.Message(0, "assistant", content, tool_calls=[tool_call])]
    )
    wire = session_to_wire(session)
    sent = SessionIn.model_validate(wire)
    row = message_row(1, sent.messages[0])
    assert row[3] == wire["messages"][0]["content"]  # not cut again: the marker would count the marker
    assert len(row[3]) <= limits.MAX_TEXT_CHARS and row[3].endswith(" more characters]")
    assert row[11] == len(content)  # content_length: before the client's cut
    (call,) = tool_call_rows(1, sent.messages[0])
    assert call[8] == wire["messages"][0]["tool_calls"][0]["result_content"]
    assert call[9] == len(output) and call[10] is True  # result_length, result_truncated
