"""The indexed search reaches its newest matches by time ranges or by the term's own index entries
(viewer_fn/search_probe.py); the answer is the same either way, and the same as before indexing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.apps import make_session
from tests.viewer.test_search_exact import _index
from viewer_fn import queries_search, search_probe

T0 = datetime(2026, 9, 1, tzinfo=UTC)
N = 300  # messages, one an hour; assistants' tool outputs too: ~450 chunks, many time ranges
WINDOW = 20  # the window, scaled down so that the first range (3 rows per text) is a small part


def _text(i: int) -> str:
    words = ["common", f"n{i}"]
    words += ["mid"] if i % 7 == 0 else []
    words += ["rare"] if i % 40 == 0 else []
    words += ["alpha beta"] if i % 5 == 0 else ["alpha gamma beta"] if i % 5 == 1 else []
    # The pairs of "alpha gamma beta" but not the phrase; the tokens of 索引 but not the substring.
    words += ["alpha gamma x gamma beta"] if i % 5 == 2 else []
    words += ["索引"] if i % 6 == 0 else ["索 引"] if i % 6 == 1 else []
    return " ".join(words)


@pytest.fixture
def spread(apps):
    s = make_session("spread", messages=N)
    for i, m in enumerate(s["messages"]):
        m["timestamp"] = (T0 + timedelta(hours=i)).isoformat().replace("+00:00", "Z")
        m["content"] = _text(i)
        if "tool_calls" in m:
            m["tool_calls"][0]["result_content"] = f"output {_text(i + 3)}"
    assert apps.push(s).json()["results"][0]["status"] == "applied"
    return apps


QUERIES: list[dict[str, Any]] = [
    {"q": "common"},
    {"q": "mid"},
    {"q": "rare"},
    {"q": "mid", "sort": "recent"},
    {"q": "alpha beta"},
    {"q": '"alpha beta"'},  # two tokens: the pair lexeme alone decides
    {"q": '"alpha gamma beta"'},  # three: pairs, then positions
    {"q": "common -mid"},
    {"q": "mid", "date_from": "2026-09-03", "date_to": "2026-09-09"},
    {"q": "rare", "date_from": "2026-09-05"},
    {"q": "common", "date_to": "2026-09-04", "role": "user"},
    {"q": "mid", "mode": "substring"},
    {"q": "pha gam", "mode": "substring"},
    {"q": "索引", "mode": "substring"},
]


def search_answers(apps, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each query's first page, as the API answers it (rows, and how far the window looked)."""
    out = []
    for params in queries:
        r = apps.view("/api/v1/search", limit=50, **params)
        assert r.status_code == 200, (params, r.text)
        body = r.json()
        out.append({k: body[k] for k in ("rows", "truncated", "looked_back_to")})
    return out


def test_time_ranges_and_the_terms_own_entries_give_the_same_answer(spread, monkeypatch) -> None:
    monkeypatch.setattr(queries_search, "SEARCH_WINDOW", WINDOW)
    pending = search_answers(spread, QUERIES)
    _index(spread)
    with spread.db.admin() as conn:
        conn.execute("ANALYZE search_chunks")  # the ts histogram the ranges are sized with

    probes: list[datetime | None] = []
    daily: list[datetime] = []
    most_days = [0]  # the most daily probes one search made
    plan = queries_search.newest_first

    def recorded(stats, need, probe, by_day=None, **kw) -> None:
        def by_day_recorded(since: datetime) -> int:
            daily.append(since)
            return by_day(since)

        kw["by_day"] = by_day_recorded if by_day else None
        before = len(daily)
        plan(stats, need, lambda since: probes.append(since) or probe(since), **kw)
        most_days[0] = max(most_days[0], len(daily) - before)

    monkeypatch.setattr(queries_search, "newest_first", recorded)
    answers = {}
    ways = (
        ("ranges", 1e12, 1e12),
        ("by term", 0.0, 1e12),
        ("by day", 0.0, 0.0),  # a rare word's newest matches day by day (migration 0012),
        ("as costed", search_probe.MATCH_COST_ROWS, search_probe.DAY_COST_ROWS),
    )
    for way, match_cost, day_cost in ways:
        monkeypatch.setattr(search_probe, "MATCH_COST_ROWS", match_cost)
        monkeypatch.setattr(search_probe, "DAY_COST_ROWS", day_cost)
        # ... in blocks too small at first, so later ones read the days before (exactly once)
        monkeypatch.setattr(search_probe, "SAFETY", 0.3 if way == "by day" else 1.5)
        probes.clear()
        daily.clear()
        answers[way] = search_answers(spread, QUERIES)
        assert any(p is not None for p in probes), way  # time ranges were read
        if way == "by term":
            assert None in probes  # some searches ended on the term's own entries
        if way == "by day":
            assert most_days[0] >= 2  # a search read a block of days, then the days before
    assert answers["ranges"] == pending
    assert answers["by term"] == pending
    assert answers["by day"] == pending
    assert answers["as costed"] == pending
    assert any(a["truncated"] for a in pending) and not all(a["truncated"] for a in pending)
