"""One page of search hits: its ranks completed, joined to its sessions, with a snippet each.

Only the page's texts get this (``queries_search`` finds and orders the window first): ranking
by recency leaves the indexed texts unranked until here, and a snippet reads the text itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from viewer_fn.search_query import Compiled, condition_sql, rank_sql

CHUNK_MAX_CHARS = 6144 + 2048 + 2 * 256 + 8  # chunks_of(): bytes (>= characters) of the longest chunk
SNIPPET_BEFORE, SNIPPET_CHARS = 80, 260
# By recency the window is not ranked: only the page's indexed texts are, from their matching
# chunks (the same value the ranked probe would have given).
PAGE_RANK_SQL = """
SELECT p.n, (SELECT max({rank}) FROM search_chunks d WHERE d.session_pk = p.session_pk AND d.ordinal = p.ordinal
                                                       AND d.call_index = p.call_index AND {condition})
FROM unnest(%(pks)s::bigint[], %(ords)s::int[], %(calls)s::int[]) WITH ORDINALITY AS p(session_pk, ordinal, call_index, n)"""
PAGE_SQL = """
SELECT mc.name || ':' || s.session_id AS session_id, s.project, mc.name AS machine, s.agent,
       s.first_message, s.display_name, p.ordinal, msg.role, msg.ts AS timestamp, p.rank,
       CASE WHEN p.call_index < 0 THEN 'message' ELSE 'tool_output' END AS source, t.tool_name,
       b.start, substr(x.piece, b.start - x.offs + 1, %(span)s + 1) AS window
FROM unnest(%(pks)s::bigint[], %(ords)s::int[], %(calls)s::int[], %(ranks)s::float8[], %(starts)s::int[])
     WITH ORDINALITY AS p(session_pk, ordinal, call_index, rank, start_char, n)
JOIN sessions s ON s.id = p.session_pk JOIN machines mc ON mc.id = s.machine_id
JOIN messages msg ON msg.session_pk = p.session_pk AND msg.ordinal = p.ordinal
LEFT JOIN tool_calls t ON p.call_index >= 0 AND t.session_pk = p.session_pk
                      AND t.message_ordinal = p.ordinal AND t.call_index = p.call_index
-- The snippet starts a little before the first occurrence of the needle in the first matching
-- chunk (looked for in its first 2,048 characters before the whole chunk: lower() of a whole
-- chunk per row would be most of this query's time, and most hits are early). The window is
-- read one character longer than shown: whether text follows is then known without length(),
-- which would decompress a whole (up to 2 MB) tool output. All of it is cut from one slice of
-- the text (from `before` characters ahead of the chunk to a window past its end), read once:
-- a stored text is fetched and decompressed again by every function that reads it.
CROSS JOIN LATERAL (
    SELECT greatest(1, p.start_char - %(before)s) AS offs,
           substr(CASE WHEN p.call_index < 0 THEN msg.content ELSE t.result_content END,
                  greatest(1, p.start_char - %(before)s), %(before)s + %(chunk)s + %(span)s + 1) AS piece
    OFFSET 0
) x
CROSS JOIN LATERAL (
    SELECT greatest(1, p.start_char - 1 + COALESCE(
               NULLIF(strpos(lower(substr(x.piece, p.start_char - x.offs + 1, 2048)), %(needle)s), 0),
               NULLIF(strpos(lower(substr(x.piece, p.start_char - x.offs + 1, %(chunk)s)), %(needle)s), 0), 1)
           - %(before)s) AS start
) b
ORDER BY p.n"""


@dataclass(frozen=True)
class Hit:
    session_pk: int
    ordinal: int
    call_index: int
    ts: datetime | None
    start_char: int  # where the text's first matching chunk starts
    rank: float | None  # None: not computed yet (by recency only the page is ranked)

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.session_pk, self.ordinal, self.call_index)

    def newest_first(self) -> tuple[float, int, int, int]:
        return (-self.ts.timestamp() if self.ts else float("inf"), *self.key)


def rank_page(
    conn: psycopg.Connection, compiled: Compiled, params: dict[str, Any], page: list[Hit]
) -> list[Hit]:
    """The page with every rank computed (indexed texts read by recency have none yet)."""
    todo = [i for i, h in enumerate(page) if h.rank is None]
    if not todo:
        return page
    sql = PAGE_RANK_SQL.format(
        rank=rank_sql(compiled, "d.tsv"), condition=condition_sql(compiled, "d.tsv", "d.body")
    )
    keys = [page[i] for i in todo]
    ranks: dict[int, float | None] = dict(
        conn.execute(
            sql,
            {
                **params,
                "pks": [h.session_pk for h in keys],
                "ords": [h.ordinal for h in keys],
                "calls": [h.call_index for h in keys],
            },
        ).fetchall()
    )
    out = list(page)
    for n, i in enumerate(todo, start=1):
        h = out[i]
        out[i] = Hit(h.session_pk, h.ordinal, h.call_index, h.ts, h.start_char, float(ranks.get(n) or 0.0))
    return out


def page_rows(conn: psycopg.Connection, compiled: Compiled, page: list[Hit]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            PAGE_SQL,
            {
                "pks": [h.session_pk for h in page],
                "ords": [h.ordinal for h in page],
                "calls": [h.call_index for h in page],
                "ranks": [h.rank for h in page],
                "starts": [h.start_char for h in page],
                "span": SNIPPET_CHARS,
                "chunk": CHUNK_MAX_CHARS,
                "needle": compiled.needle,
                "before": SNIPPET_BEFORE,
            },
        )
        return cur.fetchall()
