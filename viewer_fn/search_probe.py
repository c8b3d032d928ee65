"""Newest-first probes: the newest N indexed matches without touching every match.

Search ranks and pages the newest ``SEARCH_WINDOW`` matching texts (docs/design-search.md).
Asking an index for every match and keeping the newest costs one heap visit per match: for a
word in 1 % of a million texts, ~13,000 random pages; walking the time index newest first and
testing each text costs one visit per text read: for the same word, ~100,000. Either is slow for
some query, and the planner cannot tell which in advance (its estimates are 10x off for phrases
and CJK, and meaningless for substrings of long texts).

Both GIN indexes of ``search_chunks`` also hold the time (btree_gin, migration 0007), so "matches
in this time range" is one index scan that yields only those rows. The index is asked about one
range at a time, newest first. The first range is small (about two windows of rows); each next
one is sized from the density of matches seen so far to hold about 1.5 times the matches still
needed, and at least doubles the ground covered, until enough texts are found or everything
has been covered: the last range is unbounded, so it also holds the texts without a time. A
rare term thus costs two probes, a common one one, and no probe visits many rows that do not
match. Ranges are sized in rows with the ``ts`` column's histogram (``pg_stats``); rows newer
than the last ANALYZE all fall in the first range. The answer does not depend on how the ranges
fall: whole ranges are read, newest first, until they hold at least N matches, and matches are
then ordered exactly.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import psycopg

# The ts histogram and row count the planner uses (readable by the viewer role: it may read ts).
STATS_SQL = """
SELECT (SELECT reltuples FROM pg_class WHERE oid = 'search_chunks'::regclass),
       (SELECT histogram_bounds::text::timestamptz[] FROM pg_stats
        WHERE schemaname = current_schema() AND tablename = 'search_chunks' AND attname = 'ts')"""
FIRST_RANGE_ROWS_PER_TEXT = 3  # the first probe: the newest 3 rows per text needed
SAFETY = 1.5  # aim each later range at this many times the matches still needed


# Reads every match at or after a time (None: every match at all) and returns how many texts
# have matched so far. A GIN index on (ts, ...) turns "ts >= t" into a scan of the entries
# from t on; an upper bound would scan every entry before it (btree_gin does not combine the
# two), so a probe repeats the newer matches of earlier probes instead: ranges grow at least
# geometrically, so that costs at most about as much again.
Probe = Callable[[datetime | None], int]


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
) -> None:
    """Call ``probe`` with older and older times until the texts found reach ``need`` or every
    text has been covered (the last call has no bound, so texts without a time are in it).

    ``newest``/``oldest``: the search only wants texts before / from these times (its probe
    applies them); the ranges are then sized from ``newest`` down, and end at ``oldest``."""
    skip = stats.rows_newer_than(newest) if newest is not None else 0.0
    span = float(FIRST_RANGE_ROWS_PER_TEXT * need)
    while True:
        since = stats.newest_boundary(skip + span)
        if since is not None and oldest is not None and since <= oldest:
            since = None  # the probe's own lower bound ends the search
        found = probe(since)
        if found >= need or since is None:
            return
        covered = max(stats.rows_newer_than(since) - skip, 1.0)
        density = max(found, 1.0) / covered
        # Sized for what is still needed, and at least twice the ground: a density seen too
        # high costs a few more probes, never a long series.
        span = max(2 * covered, SAFETY * need / density)
