"""Search's text filters (role, date_from/date_to of the text's own time) and the session title
in each hit, the same before and after indexing."""

from __future__ import annotations

import pytest

from tests.apps import make_session
from tests.viewer.test_search_exact import _index


def _hits(apps, q: str, **params) -> set[tuple[int, str]]:
    r = apps.view("/api/v1/search", q=q, limit=500, **params)
    assert r.status_code == 200, r.text
    return {(h["ordinal"], h["source"]) for h in r.json()["rows"]}


@pytest.fixture
def days(apps):
    """Six messages on six days (Nov 1..6), each with the word; assistants' tool outputs too."""
    s = make_session("days", messages=6, display_name="Named session")
    for i, m in enumerate(s["messages"]):
        m["timestamp"] = f"2026-11-0{i + 1}T23:30:00Z"
        m["content"] = f"findme message {i}"
        if "tool_calls" in m:
            m["tool_calls"][0]["result_content"] = f"findme output {i}"
    s["first_message"] = s["messages"][0]["content"]
    assert apps.push(s).json()["results"][0]["status"] == "applied"
    return apps


USER = {(0, "message"), (2, "message"), (4, "message")}
ASSISTANT = {(1, "message"), (3, "message"), (5, "message")}
TOOL = {(1, "tool_output"), (3, "tool_output"), (5, "tool_output")}


@pytest.mark.parametrize("indexed", [False, True], ids=["pending", "indexed"])
@pytest.mark.parametrize("mode", ["words", "substring"])
def test_role_and_the_texts_own_days_filter_hits(days, indexed, mode) -> None:
    if indexed:
        _index(days)
    assert _hits(days, "findme", mode=mode) == USER | ASSISTANT | TOOL
    assert _hits(days, "findme", mode=mode, role="user") == USER
    assert _hits(days, "findme", mode=mode, role="assistant") == ASSISTANT
    assert _hits(days, "findme", mode=mode, role="tool") == TOOL
    assert _hits(days, "findme", mode=mode, role="user,tool") == USER | TOOL
    assert _hits(days, "findme", mode=mode, role="system") == set()
    # Days are UTC days of the text's time (23:30 each day), both ends included.
    assert _hits(days, "findme", mode=mode, date_from="2026-11-05") == {
        (4, "message"),
        (5, "message"),
        (5, "tool_output"),
    }
    assert _hits(days, "findme", mode=mode, date_to="2026-11-01") == {(0, "message")}
    assert _hits(days, "findme", mode=mode, date_from="2026-11-02", date_to="2026-11-03", role="tool") == {
        (1, "tool_output")
    }
    assert _hits(days, "findme", mode=mode, date_from="2026-11-07") == set()


def test_each_hit_carries_its_sessions_title(days) -> None:
    _index(days)
    rows = days.view("/api/v1/search", q="findme", role="user").json()["rows"]
    assert rows
    assert {(h["first_message"], h["display_name"]) for h in rows} == {("findme message 0", "Named session")}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"role": "user,robot"}, "role: robot is not one of"),
        ({"date_from": "2026-11-05", "date_to": "2026-11-01"}, "date_from: 2026-11-05 is after"),
        ({"date_to": "11/05/2026"}, "date_to: '11/05/2026' is not a date"),
    ],
)
def test_bad_text_filters_are_refused_by_name(days, params, message) -> None:
    r = days.view("/api/v1/search", q="findme", **params)
    assert r.status_code == 400
    assert message in r.text
