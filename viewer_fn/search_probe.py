"""Newest-first probes: the newest N indexed matches without touching every match.

Search ranks and pages the newest ``SEARCH_WINDOW`` matching texts (docs/design-search.md).
Asking an index for every match and keeping the newest costs one heap visit per match: for a
word in 1 % of a million texts, ~13,000 random pages; walking the time index newest first and
testing each text costs one visit per text read: for the same word, ~100,000. Either is slow for
some query, and the planner cannot tell which in advance (its estimates are 10x off for phrases
and CJK, and meaningless for substrings of long texts).

Both GIN indexes of ``search_chunks`` also hold the time (btree_gin, migration 0007), so "matches
in this time range" is one index scan that yields only those rows; but that scan reads every
index entry of the range (about a microsecond per row of the range at 1 M messages), whatever
the term. So the index is asked about one range at a time, newest first, only while that is the
cheaper way. The first range is small (about three windows of rows); it gives the term's
density. Each next range is sized from that density to hold about 1.5 times the matches still
needed, and at least doubles the ground covered; but when reading that range would cost more
than fetching every match of the term through its own index entries alone (an estimated
``candidates x rows`` chunks, each a heap visit worth ``MATCH_COST_ROWS`` rows of a range; the
candidates are those each probe's lookup returned, not the texts that passed the search's other
filters), the last probe does that instead. A common term thus costs one small probe, a rare one a small probe
and then its few matches, and no probe reads a long time range for a term that is rare in it.
A first search reads those matches' heap pages from storage, one page per match (~3,850 for a
rare word at 1 M), though only the newest texts are kept; so where a term is one token per word,
the last probes ask the index of tokens by day (migration 0012) for the matches *day by day*,
from the day where the newest texts begin, and read only theirs (``by_day``;
docs/design-search.md, "First searches of a rare term").
Ranges are sized in rows with the ``ts`` column's histogram (``pg_stats``); rows newer than the
last ANALYZE all fall in the first range. The answer does not depend on how the ranges fall or
which way the last probe goes: a probe reads everything from its time on (or everything), and the
newest N of that is exact.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

# The ts histogram and row count the planner uses (readable by the viewer role: it may read ts).
STATS_SQL = """
SELECT (SELECT reltuples FROM pg_class WHERE oid = 'search_chunks'::regclass),
       (SELECT histogram_bounds::text::timestamptz[] FROM pg_stats
        WHERE schemaname = current_schema() AND tablename = 'search_chunks' AND attname = 'ts')"""
FIRST_RANGE_ROWS_PER_TEXT = 3  # the first probe: the newest 3 rows per text needed
SAFETY = 1.5  # aim each later range at this many times the matches still needed
# One match fetched through the term's own index entries (a random heap visit) costs about as
# much as this many rows of a time range in the index (measured at 1 M messages: a range costs
# ~1 us per row, a match ~8 us; bench/README.md "Search at 1 M: which probe").
MATCH_COST_ROWS = 8.0
# Asking for the term's matches day by day costs per day (one index lookup of the day and the
# term, ~70 us a day at 1 M for a rare word, load ~6), and saves the heap pages of the older
# matches, priced as a first search reads them, from storage (~40 us a page with prefetching on
# this machine's disk, ~0.3 ms at gp3's 3,000 IOPS): a first search is what misses the budget.
DAY_COST_ROWS = 70.0
COLD_MATCH_COST_ROWS = 40.0
# A range that starts at most this long before the search's upper bound (``date_to``) ends there
# in the index too: its hours are listed (one small index scan each) instead of "from this hour
# on", which would read every newer entry; longer lists cost more scans than they save.
MAX_LISTED_HOURS = 31 * 24


@dataclass(frozen=True)
class Probed:
    """What one probe saw."""

    texts: int  # matching texts found (every filter passed)
    # Chunks its index lookup returned (within the search's sessions, from its time on): what
    # reading them cost, a heap visit each, whether or not they passed the rest of the search.
    candidates: int


# Reads every match at or after a time, through the index's time range, or (None) every match
# at all, through the term's own index entries alone (the probe then applies the search's own
# time bounds to each row). A GIN index on (ts, ...) turns "ts >= t" into a scan of the entries
# from t on; an upper bound would scan every entry before it (btree_gin does not combine the
# two), so a probe repeats the newer matches of earlier probes instead: ranges grow at least
# geometrically, so that costs at most about as much again. Only a range within
# MAX_LISTED_HOURS of the search's own upper bound ends there, by its hours listed.
Probe = Callable[[datetime | None], Probed]
# Reads the term's matches in the days from a time's day to the day before the previous call's
# (the first call: to the newest), adding them to the texts found; returns how many there are.
DayProbe = Callable[[datetime], int]


@dataclass(frozen=True)
class TimeStats:
    rows: float
    bounds: list[datetime]  # ascending; each bucket holds rows / (len - 1) rows (ANALYZE's sample)

    def newest_boundary(self, newest_rows: float) -> datetime | None:
        """The time above which about ``newest_rows`` rows lie (None: all of them)."""
        if len(self.bounds) < 2 or newest_rows >= self.rows:
            return None
        buckets = len(self.bounds) - 1
        position = buckets * (1 - newest_rows / self.rows)  # in buckets from the oldest bound
        i = min(buckets - 1, int(position))
        lo, hi = self.bounds[i], self.bounds[i + 1]
        return lo + (hi - lo) * (position - i)

    def rows_newer_than(self, t: datetime | None) -> float:
        if t is None or len(self.bounds) < 2:
            return self.rows
        buckets = len(self.bounds) - 1
        i = bisect.bisect_right(self.bounds, t) - 1
        if i < 0:
            return self.rows
        if i >= buckets:
            return 0.0
        lo, hi = self.bounds[i], self.bounds[i + 1]
        inside = (t - lo) / (hi - lo) if hi > lo else 0.0
        return self.rows * (buckets - i - inside) / buckets


def time_stats(conn: psycopg.Connection) -> TimeStats:
    row = conn.execute(STATS_SQL).fetchone()
    rows, bounds = (row[0], row[1]) if row else (0.0, None)
    return TimeStats(max(float(rows or 0.0), 1.0), list(bounds or []))


def newest_first(
    stats: TimeStats,
    need: int,
    probe: Probe,
    *,
    newest: datetime | None = None,
    oldest: datetime | None = None,
    share: float = 1.0,
    by_day: DayProbe | None = None,
) -> None:
    """Call ``probe`` with older and older times until the texts found reach ``need`` or every
    text has been covered; the last call is ``probe(None)`` (every match, by the term alone)
    when a range would reach back to the start, or would cost more than that.

    ``newest``/``oldest``: the search only wants texts before / from these times (its probe
    applies them); the ranges are then sized from ``newest`` down, and end at ``oldest``.
    The ranges are sized on the texts found; the fetch by the term is priced on the candidates
    the lookup returned: a role or an excluded word leaves far fewer texts than candidates, and
    every candidate is read. ``share``: the part of all rows the search's sessions hold (a
    session filter): a range's lookup is made within those sessions (the primary key's index
    narrows it), so the first range is sized to hold as many of their rows as an unfiltered
    search's holds of all; the fetch by the term is not (PostgreSQL would then read every chunk
    of those sessions and compute their keys, not use the term's index), so it is priced on the
    candidates seen in those sessions divided by their share.
    ``by_day``: where the term would be fetched by its own entries, fetch only its newest matches,
    day by day, while that saves more cold pages than its days cost."""
    skip = stats.rows_newer_than(newest) if newest is not None else 0.0
    share = min(max(share, 1e-6), 1.0)
    span = FIRST_RANGE_ROWS_PER_TEXT * need / share
    fetched: float | None = None  # candidates per row of the index, once a probe has counted them
    most = 0.0  # texts per row at most, plausibly (a rare term's few texts are a noisy count)
    covered, found = 0.0, 0
    daily_to: datetime | None = None  # how far back the daily probes have read
    while True:
        since = stats.newest_boundary(skip + span)
        if oldest is not None and (since is None or since <= oldest):
            since = oldest  # the search's own lower bound ends the ranges
        rare = fetched is not None and (
            since is None or by_term_is_cheaper(stats, range_rows(stats, since, newest), fetched)
        )
        if rare and by_day is not None:
            # Back to where the most plausible density puts the texts still needed (too few
            # found costs one more probe of the days before, not a re-read), and at least half
            # again the ground covered.
            more = max(SAFETY * (need - found) / most, covered / 2) if daily_to else SAFETY * need / most
            since = stats.newest_boundary(skip + covered + more)
            if oldest is not None and (since is None or since <= oldest):
                since = oldest
            if since is None or not by_day_is_cheaper(stats, since, most, daily_to or newest):
                probe(None)
                return
            found, daily_to = by_day(since), since
        elif since is None or rare:
            probe(None)
            return
        else:
            seen = probe(since)
            found = seen.texts
            # What the lookup returned came from every row the range read (the newer ones too,
            # unless its hours were listed); the texts found, from the rows below ``newest``.
            # A fetch by the term looks it up in every session (below), so its candidates are
            # priced at the share seen in the search's sessions, spread over all of them.
            fetched = max(seen.candidates, 1) / max(range_rows(stats, since, newest), 1.0) / share
        if found >= need or since == oldest:
            return
        covered = max(stats.rows_newer_than(since) - skip, 1.0)
        density = max(found, 1) / covered
        most = (found + 2 * math.sqrt(found) + 2) / covered  # ~95 % upper bound of a Poisson count
        # Sized for what is still needed, and at least twice the ground: a density seen too
        # high costs a few more probes, never a long series.
        span = max(2 * covered, SAFETY * need / density)


def listed_hours(since: datetime, newest: datetime | None) -> bool:
    """Whether a range from ``since`` ends at the search's upper bound ``newest`` in the index."""
    return newest is not None and newest - since <= timedelta(hours=MAX_LISTED_HOURS)


def range_rows(stats: TimeStats, since: datetime, newest: datetime | None) -> float:
    """The index rows a range from ``since`` reads: every row from then on, or (its hours listed)
    up to the search's upper bound."""
    above = stats.rows_newer_than(newest) if newest is not None and listed_hours(since, newest) else 0.0
    return stats.rows_newer_than(since) - above


def by_term_is_cheaper(stats: TimeStats, rows: float, candidates: float) -> bool:
    """Whether fetching every candidate of the term's lookup (about ``candidates x rows`` of
    them, wherever they are) costs less than reading a time range of ``rows`` index rows."""
    return rows > MATCH_COST_ROWS * candidates * stats.rows


def by_day_is_cheaper(stats: TimeStats, since: datetime, density: float, upto: datetime | None) -> bool:
    """Whether asking for the term's matches day by day from ``since`` to ``upto`` (None: the
    newest row) costs less than the cold heap pages of the matches older than ``since`` that
    fetching every match would read."""
    latest = upto or (stats.bounds[-1] if stats.bounds else since)
    days = max((latest - since).total_seconds() / 86400, 0.0) + 1
    older = density * (stats.rows - stats.rows_newer_than(since))
    return days * DAY_COST_ROWS < older * COLD_MATCH_COST_ROWS
