"""Redaction measured against the planted-secret corpus (tests/client/secret_corpus.py), every form."""

from __future__ import annotations

import json

import pytest

from client.model import Message, Session, ToolCall
from client.redact import Redactor
from client.wire import session_to_wire
from tests.client import secret_corpus as corpus

CASES = [(plant, form, text) for plant in corpus.PLANTS for form, text in corpus.forms(plant).items()]


@pytest.mark.parametrize(("plant", "form", "text"), CASES, ids=[f"{p.name}-{f}" for p, f, _ in CASES])
def test_every_planted_secret_is_redacted_in_every_form(plant: corpus.Plant, form: str, text: str) -> None:
    redacted = Redactor().text(text)
    assert not corpus.leaked(plant, form, redacted), redacted


def test_every_form_is_exercised() -> None:
    forms = {form for _, form, _ in CASES}
    assert forms == {"plain", "escaped", "wrapped", "split"}
    assert sum(form == "split" for _, form, _ in CASES) >= 15


@pytest.mark.parametrize("text", corpus.INNOCENT)
def test_look_alikes_are_left_alone(text: str) -> None:
    r = Redactor()
    assert r.text(text) == text and not r.counts


def test_the_corpus_through_a_whole_session_in_every_field() -> None:
    """Each plant in each field a session can carry it in; the wire JSON holds none of them."""
    messages = []
    for n, plant in enumerate(corpus.PLANTS):
        call = ToolCall(0, "Bash", input_json=json.dumps({"command": plant.text}), result_content=plant.text)
        blocks = [
            {"type": "text", "text": plant.text},
            {"type": "tool_use", "input": {"command": plant.text}},
        ]
        messages.append(Message(n, "assistant", plant.text, blocks=blocks, tool_calls=[call]))
    session = Session("s", "claude", first_message=corpus.PLANTS[0].text, display_name=corpus.PLANTS[1].text)
    session.messages = messages
    wire = session_to_wire(session, Redactor())
    dumped = json.dumps(wire)
    for plant in corpus.PLANTS:
        assert not corpus.leaked(plant, "plain", dumped), plant.name
    for message in wire["messages"]:
        json.loads(message["tool_calls"][0]["input_json"])  # still JSON
