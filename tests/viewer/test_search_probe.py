"""The newest-first probe plan: ranges from the time histogram, few probes, always an end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from viewer_fn.search_probe import FIRST_RANGE_ROWS_PER_TEXT, MATCH_COST_ROWS, TimeStats, newest_first

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

    def probe(since: datetime | None) -> int:
        calls.append(since)
        return int(total * density) if since is None else int(STATS.rows_newer_than(since) * density)

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

    def probe(since: datetime | None) -> int:
        calls.append(since)
        start = oldest if since is None else max(since, oldest)  # what the probe's SQL applies
        return int((STATS.rows_newer_than(start) - STATS.rows_newer_than(newest)) * 0.01)

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

    def probe(since: datetime | None) -> int:
        calls.append(since)
        start = oldest if since is None else max(since, oldest)
        return int((STATS.rows_newer_than(start) - STATS.rows_newer_than(newest)) * 0.3)

    newest_first(STATS, 1001, probe, newest=newest, oldest=oldest)
    assert None not in calls and len(calls) == 2


def test_a_filtered_search_reads_only_time_ranges_until_one_reaches_the_start() -> None:
    """With a session or role filter, the density seen counts the texts that passed, not the
    candidates a fetch by the term would read (one project of forty: forty times fewer), so
    the search never takes that way on its estimate (at 1 M, `function` in one project took 30 s)."""
    calls: list[datetime | None] = []

    def probe(since: datetime | None) -> int:
        calls.append(since)
        return int((100_000 if since is None else STATS.rows_newer_than(since)) * 0.02)

    newest_first(STATS, 1001, probe, by_term=False)
    assert calls[-1] is not None and len(calls) == 2  # the second range held enough
    assert _cost(calls, 0.02) == pytest.approx(sum(STATS.rows_newer_than(c) for c in calls if c))
