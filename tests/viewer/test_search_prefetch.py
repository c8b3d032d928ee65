"""A search's transaction prefetches the heap pages of its bitmaps (a rare term's matches lie one
per page across the table: read one at a time from a cold cache, they were most of a first
search's time at 1 M messages), and keeps a server's 0 (no prefetching there: it refuses more)."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.viewer.test_search_exact import _index
from tests.viewer.test_search_probe_ways import spread  # noqa: F401  (fixture)
from viewer_fn import queries_search
from viewer_fn.filters import base_where
from viewer_fn.search_query import compile_query
from viewer_fn.search_texts import TextFilter


def _settings_seen_by_the_probes(conn: psycopg.Connection, monkeypatch) -> list[tuple[Any, ...]]:
    seen: list[tuple[Any, ...]] = []
    stats = queries_search.time_stats

    def recorded(c: psycopg.Connection):  # called inside the search's transaction
        row = c.execute(
            "SELECT current_setting('effective_io_concurrency'), current_setting('work_mem')"
        ).fetchone()
        assert row is not None
        seen.append(tuple(row))
        return stats(c)

    monkeypatch.setattr(queries_search, "time_stats", recorded)
    for sort in ("rank", "recent"):
        found = queries_search.search(
            conn,
            compile_query(conn, "rare", "words"),
            where=base_where("s"),
            texts=TextFilter(),
            sort=sort,
            limit=5,
            offset=0,
        )
        assert found.rows  # the search itself still answers
    return seen


def test_a_search_prefetches_its_heap_pages_for_its_transaction_only(spread, monkeypatch) -> None:  # noqa: F811
    _index(spread)
    with psycopg.connect(spread.db.viewer_dsn, autocommit=True, options="-c search_path=av") as conn:
        before = conn.execute("SHOW effective_io_concurrency").fetchone()
        seen = _settings_seen_by_the_probes(conn, monkeypatch)
        assert seen == [(str(queries_search.SEARCH_PREFETCH_PAGES), queries_search.SEARCH_WORK_MEM)] * 2
        assert conn.execute("SHOW effective_io_concurrency").fetchone() == before  # SET LOCAL only


def test_a_server_that_does_not_prefetch_is_left_so(spread, monkeypatch) -> None:  # noqa: F811
    _index(spread)
    with psycopg.connect(spread.db.viewer_dsn, autocommit=True, options="-c search_path=av") as conn:
        conn.execute("SET effective_io_concurrency = 0")  # what a server without posix_fadvise has
        seen = _settings_seen_by_the_probes(conn, monkeypatch)
        assert seen == [("0", queries_search.SEARCH_WORK_MEM)] * 2
