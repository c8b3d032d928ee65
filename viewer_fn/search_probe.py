"""Newest-first probes: the newest N indexed matches without touching every match.

Search ranks and pages the newest ``SEARCH_WINDOW`` matches (docs/design-search.md). Asking
the GIN index for every match and keeping the newest costs one heap visit per match: for a
word in 1 % of a million texts, ~13,000 random pages. Walking the time index newest first and
testing each text costs one visit per text *read*: for the same word, ~100,000. Either is
slow for some words, and no estimate tells which in advance (phrase estimates are off 10x).

So the index is asked about one time range at a time, newest first: the planner ANDs the GIN
bitmap with a range of the ``search_docs_ts`` index and visits only the matches inside it. The
first range is sized from the planner's estimate to hold about 1.5 windows of matches; each
later one from the density actually seen, at least doubling the ground covered, until enough
matches are found or the oldest text is reached. Ranges are sized in rows with the ``ts``
column's histogram (``pg_stats``); texts newer than the last ANALYZE all fall in the first
range. The answer does not depend on how the ranges fall: whole ranges are read, newest
first, until they hold at least N matches, and matches are then ordered exactly.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from avcore.db import scalar

# The ts histogram and row count the planner uses (readable by the viewer role: it may read ts).
STATS_SQL = """
SELECT (SELECT reltuples FROM pg_class WHERE oid = 'search_docs'::regclass),
       (SELECT histogram_bounds::text::timestamptz[] FROM pg_stats
        WHERE schemaname = current_schema() AND tablename = 'search_docs' AND attname = 'ts')"""
SAFETY = 1.5  # aim each range at this many times the matches still needed
FIRST_RANGE_MAX_SHARE = 0.125  # a rare estimate is not trusted further than an eighth of all texts


@dataclass(frozen=True)
class Range:
    """``lo <= ts < hi``; None is unbounded; ``nulls``: texts without a time are included."""

    lo: datetime | None
    hi: datetime | None
    nulls: bool


Probe = Callable[[Range], int]  # reads the matches in a range, returns how many texts matched


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


def estimated_rows(conn: psycopg.Connection, condition_sql: str, params: dict[str, Any]) -> float:
    """The planner's estimate of rows meeting the chunk condition alone (an EXPLAIN, ~1 ms)."""
    plan = scalar(
        conn.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM search_docs d WHERE {condition_sql}",  # noqa: S608 - fixed SQL
            params,
            prepare=False,
        ).fetchone()
    )
    return float(plan[0]["Plan"]["Plan Rows"])


def newest_first(stats: TimeStats, estimate: float, need: int, probe: Probe) -> None:
    """Call ``probe`` on consecutive time ranges, newest first, until the texts found reach
    ``need`` or every text (those without a time last) has been covered. ``estimate``: the
    planner's estimate of matching rows (chunks), which sizes the first range."""
    density = min(1.0, max(estimate, 1.0) / stats.rows)
    span = min(max(2.0 * need, SAFETY * need / density), FIRST_RANGE_MAX_SHARE * stats.rows)
    hi: datetime | None = None
    covered = found = 0.0
    while True:
        lo = stats.newest_boundary(covered + span)
        found += probe(Range(lo, hi, nulls=lo is None))
        if found >= need or lo is None:
            return
        covered = max(stats.rows_newer_than(lo), covered + 1.0)
        seen_density = max(found, 1.0) / covered
        span = max(covered, SAFETY * (need - found) / seen_density)  # at least double the ground
        if not math.isfinite(span):
            span = stats.rows
        hi = lo
