"""The newest-first probe plan: ranges from the time histogram, few probes, always an end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from viewer_fn.search_probe import FIRST_RANGE_ROWS_PER_TEXT, MATCH_COST_ROWS, Probed, TimeStats, newest_first

T0 = datetime(2026, 1, 1, tzinfo=UTC)
# 100 equal buckets of 1,000 rows over 100 days: one day per bucket.
STATS = TimeStats(rows=100_000.0, bounds=[T0 + timedelta(days=i) for i in range(101)])


def test_the_histogram_turns_rows_into_times_and_back() -> None:
    assert STATS.newest_boundary(1_000) == T0 + timedelta(days=99)
    assert STATS.newest_boundary(1_500) == T0 + timedelta(days=98, hours=12)
    assert STATS.newest_boundary(100_000) is None  # everything: no bound
    assert STATS.rows_newer_than(T0 + timedelta(days=98, hours=12)) == pytest.approx(1_500)
    assert STATS.rows_newer_than(None) == 100_000
    assert STATS.rows_newer_than(T0 - timedelta(days=1)) == 100_000
    assert STATS.rows_newer_than(T0 + timedelta(days=200)) == 0
    empty = TimeStats(rows=10.0, bounds=[])  # never analyzed: one probe over everything
    assert empty.newest_boundary(5) is None


def _run(density: float, need: int = 1001, total: int = 100_000) -> list[datetime | None]:
    """Probes made for a term matching ``density`` of all rows, evenly over time."""
    calls: list[datetime | None] = []

    def probe(since: datetime | None) -> Probed:
        calls.append(since)
        found = int(total * density) if since is None else int(STATS.rows_newer_than(since) * density)
        return Probed(texts=found, candidates=found)

    newest_first(STATS, need, probe)
    return calls


@pytest.mark.parametrize(
    ("density", "most_probes"),
    [(0.9, 1), (0.3, 2), (0.05, 2), (0.01, 2), (0.001, 2), (0.0, 2)],
)
def test_every_density_takes_few_probes_newest_first_and_ends(density, most_probes) -> None:
    calls = _run(density)
    assert 1 <= len(calls) <= most_probes, calls
    bounded = [c for c in calls if c is not None]
    assert bounded == sorted(bounded, reverse=True)  # each probe reaches further back
    found = 100_000 * density if calls[-1] is None else STATS.rows_newer_than(calls[-1]) * density
    assert found >= 1001 or calls[-1] is None  # enough, or everything was covered


def _cost(calls: list[datetime | None], density: float, total: int = 100_000) -> float:
    """What a plan reads: every row of its time ranges, and MATCH_COST_ROWS per match of a
    probe by the term's own index entries (a heap visit each)."""
    ranges = sum(STATS.rows_newer_than(c) for c in calls if c is not None)
    return ranges + (MATCH_COST_ROWS * density * total if None in calls else 0.0)


@pytest.mark.parametrize("density", [0.5, 0.1, 0.05, 0.025, 0.02, 0.01, 0.003, 0.0005])
def test_no_plan_costs_much_more_than_the_cheaper_way_for_its_term(density) -> None:
    """After the first probe, a term rare in the time ranges it would need is fetched by its own
    index entries instead (at 1 M messages, words rare in every hour took seconds, issue 15)."""
    need, first = 1001, FIRST_RANGE_ROWS_PER_TEXT * 1001
    cheaper = min(need / density, MATCH_COST_ROWS * density * 100_000)  # ideal range, or by term
    assert _cost(_run(density), density) <= first + 3 * cheaper


def test_the_first_probe_is_small() -> None:
    first = _run(0.9)[0]
    assert first is not None
    assert STATS.rows_newer_than(first) == pytest.approx(FIRST_RANGE_ROWS_PER_TEXT * 1001)


def test_a_time_filter_sizes_ranges_from_its_newest_end_and_stops_at_its_oldest() -> None:
    """date_to/date_from of the texts: the first range reaches as far below the upper bound as
    it would below the newest text, and the search ends at the lower bound, not at the end."""
    newest, oldest = T0 + timedelta(days=50), T0 + timedelta(days=40)
    calls: list[datetime | None] = []

    def probe(since: datetime | None) -> Probed:
        calls.append(since)
        start = oldest if since is None else max(since, oldest)  # what the probe's SQL applies
        found = int((STATS.rows_newer_than(start) - STATS.rows_newer_than(newest)) * 0.01)
        return Probed(texts=found, candidates=found)

    newest_first(STATS, 1001, probe, newest=newest, oldest=oldest)
    first = calls[0]
    assert first is not None
    between = STATS.rows_newer_than(first) - STATS.rows_newer_than(newest)
    assert between == pytest.approx(FIRST_RANGE_ROWS_PER_TEXT * 1001)
    assert calls[-1] is None  # 1 % of 10 days' 10,000 rows: never enough, so it ran to the bound
    assert len(calls) <= 3


def test_a_common_term_within_a_time_filter_stays_in_time_ranges() -> None:
    newest, oldest = T0 + timedelta(days=50), T0 + timedelta(days=40)
    calls: list[datetime | None] = []

    def probe(since: datetime | None) -> Probed:
        calls.append(since)
        start = oldest if since is None else max(since, oldest)
        found = int((STATS.rows_newer_than(start) - STATS.rows_newer_than(newest)) * 0.3)
        return Probed(texts=found, candidates=found)

    newest_first(STATS, 1001, probe, newest=newest, oldest=oldest)
    assert None not in calls and len(calls) == 2


def _filtered(candidates: float, texts: float) -> list[datetime | None]:
    """Probes for a lookup yielding ``candidates`` of the rows, of which ``texts`` pass the rest
    of the search (a role, an excluded word, a session filter the index could not apply)."""
    calls: list[datetime | None] = []

    def probe(since: datetime | None) -> Probed:
        calls.append(since)
        rows = 100_000 if since is None else STATS.rows_newer_than(since)
        return Probed(texts=int(rows * texts), candidates=int(rows * candidates))

    newest_first(STATS, 1001, probe)
    return calls


def test_the_fetch_by_the_term_is_priced_on_the_candidates_its_lookup_returns() -> None:
    """A lookup yielding half of the rows of which the rest of the search keeps 1 in 25 (2 %):
    the texts found alone would price fetching every candidate at 2,000 heap visits (16,000 rows'
    worth), under the ~75,000 rows of ranges the window needs; it is 50,000 visits, so ranges it
    is. The same 2 % as candidates: by the term (at 1 M messages, `function` in one project took
    15 s fetching every candidate the session filter then dropped, issue 15)."""
    assert _filtered(candidates=0.02, texts=0.02)[-1] is None
    calls = _filtered(candidates=0.5, texts=0.02)
    assert None not in calls and len(calls) == 2


def test_a_narrow_upper_bound_is_priced_as_the_rows_up_to_it() -> None:
    """With date_to, a range within MAX_LISTED_HOURS of it reads its hours alone, not every newer
    row: a term in 5 % of the rows, date_to 80 days back, is read by ranges below date_to (14,000
    rows), not fetched by the term (40,000 rows' worth; all 94,000 newer rows would be more)."""
    newest = T0 + timedelta(days=20)
    calls: list[datetime | None] = []

    def probe(since: datetime | None) -> Probed:
        calls.append(since)
        start = T0 if since is None else since
        found = int((STATS.rows_newer_than(start) - STATS.rows_newer_than(newest)) * 0.05)
        return Probed(texts=found, candidates=found)

    newest_first(STATS, 1001, probe, newest=newest, oldest=newest - timedelta(days=14))
    assert None not in calls


def _run_by_day(density: float, need: int = 1001) -> tuple[list[datetime | None], list[datetime]]:
    """Probes made for a term matching ``density`` of all rows evenly, where the term may also be
    asked for day by day (each call reads the days before the previous call's)."""
    calls: list[datetime | None] = []
    days: list[datetime] = []

    def probe(since: datetime | None) -> Probed:
        calls.append(since)
        n = int(100_000 * density) if since is None else int(STATS.rows_newer_than(since) * density)
        return Probed(texts=n, candidates=n)

    def by_day(since: datetime) -> int:
        days.append(since)
        return int(STATS.rows_newer_than(since) * density)

    newest_first(STATS, need, probe, by_day=by_day)
    return calls, days


@pytest.mark.parametrize("density", [0.03, 0.02, 0.015])
def test_a_rare_term_is_read_day_by_day_only_as_far_back_as_its_newest_texts(density) -> None:
    """First searches of rare words read one cold heap page per match (docs/design-search.md,
    "First searches of a rare term"): fetching every match read ~3,850 pages at 1 M where the
    newest 1,001 texts needed about half of them. Asked day by day, only those are read."""
    calls, days = _run_by_day(density)
    assert None not in calls  # never every match
    assert days and days == sorted(days, reverse=True)  # each call reads older days
    reached = STATS.rows_newer_than(days[-1])
    assert reached * density >= 1001  # enough texts
    assert reached < 0.9 * STATS.rows  # and not every match: the older ones' pages stay unread
    assert len(days) <= 3


def test_a_term_with_few_matches_older_than_its_window_is_fetched_whole() -> None:
    """Where nearly every match is needed anyway, the days cost more than the pages they save."""
    calls, _ = _run_by_day(0.011)
    assert calls[-1] is None
