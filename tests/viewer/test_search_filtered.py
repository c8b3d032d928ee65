"""A common word with a selective filter (issue 15: `function` in one project took 15-25 s at 1 M
messages): the index lookup is made within the filter's sessions, the probes are priced on the
candidates that lookup returned, and the answer is the same whichever way the probes go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.apps import make_session
from tests.viewer.test_search_exact import _index
from tests.viewer.test_search_probe_ways import search_answers
from viewer_fn import queries_search, search_probe
from viewer_fn.search_probe import Probed

T0 = datetime(2026, 9, 1, tzinfo=UTC)
WINDOW = 20  # the window, scaled down: the filtered project alone holds more matches than it


def _at(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@pytest.fixture
def two_projects(apps):
    """A wide project whose every text holds `common` (one message an hour for 300 hours), and a
    narrow one with 40 messages over the same time (one every 7 hours), `common` in each too."""
    wide = make_session("wide", messages=300, project="wide")
    for i, m in enumerate(wide["messages"]):
        m["timestamp"] = _at(T0 + timedelta(hours=i))
        m["content"] = f"common wide{i}" + (" rare" if i % 50 == 0 else "")
    narrow = make_session("narrow", messages=40, project="narrow")
    for i, m in enumerate(narrow["messages"]):
        m["timestamp"] = _at(T0 + timedelta(hours=7 * i, minutes=30))
        m["content"] = f"common narrow{i}" + (" mid" if i % 3 == 0 else "")
        if "tool_calls" in m:
            m["tool_calls"][0]["result_content"] = f"output common {i}"
    for s in (wide, narrow):
        assert apps.push(s).json()["results"][0]["status"] == "applied"
    return apps


QUERIES: list[dict[str, Any]] = [
    {"q": "common", "project": "narrow"},
    {"q": "common", "project": "narrow", "sort": "recent"},
    {"q": "common", "project": "narrow", "role": "user"},
    {"q": "common -mid", "project": "narrow"},
    {"q": "common", "project": "narrow", "date_from": "2026-09-04", "date_to": "2026-09-10"},
    {"q": "common", "date_from": "2026-09-04", "date_to": "2026-09-06"},
    {"q": "common", "role": "tool"},
    {"q": "rare"},
    {"q": "put common 1", "mode": "substring", "project": "narrow"},
]


def _recording(monkeypatch) -> list[tuple[datetime | None, Probed]]:
    probes: list[tuple[datetime | None, Probed]] = []
    plan = queries_search.newest_first

    def recorded(stats, need, probe, **kw) -> None:
        def seen(since: datetime | None) -> Probed:
            probed = probe(since)
            probes.append((since, probed))
            return probed

        plan(stats, need, seen, **kw)

    monkeypatch.setattr(queries_search, "newest_first", recorded)
    return probes


def _indexed(apps) -> None:
    _index(apps)
    with apps.db.admin() as conn:
        conn.execute("ANALYZE search_chunks")  # the ts histogram the ranges are sized with


def test_the_lookup_of_a_filtered_search_returns_only_its_sessions_candidates(
    two_projects, monkeypatch
) -> None:
    """Each probe's candidates are the narrow project's matching chunks from its time on, not the
    wide project's too (before: every chunk of `common` was fetched, then the project compared)."""
    monkeypatch.setattr(queries_search, "SEARCH_WINDOW", WINDOW)
    _indexed(two_projects)
    probes = _recording(monkeypatch)
    r = two_projects.view("/api/v1/search", q="common", project="narrow", limit=50)
    assert r.status_code == 200, r.text
    assert r.json()["truncated"] is True
    assert probes
    with two_projects.db.admin() as conn:
        for since, probed in probes:
            (expected,) = conn.execute(
                "SELECT count(*) FROM search_chunks d JOIN sessions s ON s.id = d.session_pk "
                "WHERE s.project = 'narrow' AND d.tsv @@ 'common'::tsquery AND (%(t)s::timestamptz IS NULL "
                "OR d.ts >= %(t)s)",
                {"t": since},
            ).fetchone()
            assert probed.candidates == expected, (since, probed)
    # The narrow project holds ~12 % of the messages: its first range, sized for them, covers
    # every row (before: a range of 63 rows, then the fetch of every chunk holding `common`).
    # Its candidates are the fixture's narrow texts holding `common`, one chunk each: its 40
    # messages and its 20 assistant messages' tool outputs; the wide project's 300 are not among them.
    assert [(since, probed.candidates) for since, probed in probes] == [(None, 40 + 20)]


def test_a_week_s_range_reads_that_week_alone(two_projects, monkeypatch) -> None:
    """With date_to, the range's hours are listed in the lookup: its candidates are the week's,
    not every newer one too (before: everything from date_from on was read)."""
    monkeypatch.setattr(queries_search, "SEARCH_WINDOW", WINDOW)
    _indexed(two_projects)
    probes = _recording(monkeypatch)
    week = {"date_from": "2026-09-04", "date_to": "2026-09-10"}
    assert two_projects.view("/api/v1/search", q="common", project="narrow", **week).status_code == 200
    with two_projects.db.admin() as conn:
        (in_week,) = conn.execute(
            "SELECT count(*) FROM search_chunks d JOIN sessions s ON s.id = d.session_pk "
            "WHERE s.project = 'narrow' AND d.tsv @@ 'common'::tsquery "
            "AND d.ts >= '2026-09-04' AND d.ts < '2026-09-11'"
        ).fetchone()
        (newer,) = conn.execute(
            "SELECT count(*) FROM search_chunks d JOIN sessions s ON s.id = d.session_pk "
            "WHERE s.project = 'narrow' AND d.tsv @@ 'common'::tsquery AND d.ts >= '2026-09-11'"
        ).fetchone()
    assert newer > 0
    assert [p.candidates for since, p in probes if since is not None] == [in_week]


def test_a_rare_word_without_a_filter_keeps_its_small_range_then_its_own_entries(
    two_projects, monkeypatch
) -> None:
    monkeypatch.setattr(queries_search, "SEARCH_WINDOW", WINDOW)
    _indexed(two_projects)
    probes = _recording(monkeypatch)
    assert two_projects.view("/api/v1/search", q="rare").status_code == 200
    assert [since is None for since, _ in probes] == [False, True]
    assert probes[-1][1] == Probed(texts=6, candidates=6)


def test_the_answer_is_the_same_by_ranges_by_the_term_and_before_indexing(two_projects, monkeypatch) -> None:
    monkeypatch.setattr(queries_search, "SEARCH_WINDOW", WINDOW)
    pending = search_answers(two_projects, QUERIES)
    _indexed(two_projects)
    probes = _recording(monkeypatch)
    answers = {}
    for way, cost in (("ranges", 1e12), ("by term", 0.0), ("as costed", search_probe.MATCH_COST_ROWS)):
        monkeypatch.setattr(search_probe, "MATCH_COST_ROWS", cost)
        probes.clear()
        answers[way] = search_answers(two_projects, QUERIES)
        assert any(since is not None for since, _ in probes), way  # time ranges were read
        if way == "by term":
            assert any(since is None for since, _ in probes)
    assert answers["ranges"] == pending
    assert answers["by term"] == pending
    assert answers["as costed"] == pending
    assert any(a["truncated"] for a in pending) and all(a["rows"] for a in pending)
