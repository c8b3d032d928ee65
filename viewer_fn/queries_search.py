"""Global search: indexed documents plus a bounded scan of not-yet-indexed sessions.

Search text lives in ``search_docs`` (migration 0002), filled after the write by
``refresh_search()``, so pushes never pay for the index (docs/design-search.md).
One query, three bounded branches, none of which touches every row:

1. *Indexed*: the newest ``SEARCH_WINDOW`` documents (messages and tool-output
   heads) whose ``tsv`` matches, in live sessions that pass the filters. A common
   word walks ``search_docs_ts`` newest-first and stops early; a rare one comes
   from the GIN index. Substring mode re-checks each candidate with ``ILIKE`` over
   the same bounded prefix that was indexed, so its answers are exact.
2. *Pending*: sessions whose ``change_seq`` moved since they were indexed are
   searched by ``ILIKE`` over their own messages and tool outputs (a primary-key
   range per session), so a push is searchable at once, before the indexer runs.
3. *Page*: candidates are ordered (``rank`` = ``ts_rank_cd`` of the stored vector,
   0 for pending hits; or ``recent``), one page is cut by offset, and only that
   page is joined to sessions and gets a snippet window.

The indexed branch asks the planner's statistics how many documents match (``EXPLAIN``,
~1 ms). A term estimated rare (< ``WALK_MIN_ESTIMATE``) goes straight to the GIN plan, which
is fast exactly when matches are few. Otherwise it first tries a newest-first walk of
``search_docs_ts`` with the bitmap plan disabled and a ``WALK_BUDGET_MS`` timeout: common
words and phrases fill the window in milliseconds that way; when the walk runs out of
budget (the estimate was wrong), the GIN plan runs. Substring mode re-checks the window's
candidates in the answer's order, a batch at a time, and stops once the page is full, so
it reports exact substring hits among the newest ``SEARCH_WINDOW`` token matches while
reading the text of only a few dozen of them. Rank (``ts_rank_cd`` over the stored vector)
is computed for the whole window only when sorting by rank; by recency, only the page's
rows are ranked.

Ranking orders the newest ``SEARCH_WINDOW`` matches, not every match in history;
the answer says so with ``window``.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from avcore.db import scalar
from viewer_fn.filters import Where
from viewer_fn.queries_sessions import like_pattern
from viewer_fn.search_query import Compiled

SEARCH_WINDOW = 1000
MESSAGE_INDEXED_CHARS = 32768  # must equal the left(content, N) of refresh_search()
TOOL_OUTPUT_INDEXED_CHARS = 4096  # must equal the left(result_content, N) of refresh_search()
SNIPPET_BEFORE, SNIPPET_CHARS = 80, 260
# How long the newest-first index walk may try before the GIN plan takes over: a common
# word fills a window in a few ms this way; a rare one would read the whole ts index.
WALK_BUDGET_MS = 25
# Below this many estimated matches the walk is skipped. The estimate is rough (5-10x off for
# phrases), but the choice only moves cost: a wrong "common" costs the 25 ms walk budget, a
# wrong "rare" the GIN plan over a few tens of thousands of rows.
WALK_MIN_ESTIMATE = 20_000
ESTIMATE_SQL = "EXPLAIN (FORMAT JSON) SELECT 1 FROM search_docs WHERE tsv @@ %(tsq)s::tsquery"
PENDING_SQL = """
SELECT COALESCE(array_agg(s.id), '{{}}') FROM sessions s LEFT JOIN search_state st ON st.session_pk = s.id
WHERE (st.session_pk IS NULL OR st.indexed_seq < s.change_seq) AND {where}"""
INDEXED_SQL = r"""
SELECT c.session_pk, c.ordinal, c.call_index, c.ts, {rank} AS rank
FROM (
    SELECT d.session_pk, d.ordinal, d.call_index, d.ts FROM search_docs d
    WHERE d.tsv @@ %(tsq)s::tsquery AND NOT d.session_pk = ANY(%(pending)s)
      AND d.session_pk IN (SELECT s.id FROM sessions s WHERE {where})
    ORDER BY d.ts DESC NULLS LAST LIMIT %(window)s
) c {join}"""
# Ranking reads each candidate's stored vector: only done for the whole window when the
# order is by rank; by recency only the page's rows are ranked (PAGE_SQL, rank < 0).
RANK_EXPR = "ts_rank_cd(d.tsv, %(tsq)s::tsquery)::float8"
RANK_JOIN = "JOIN search_docs d USING (session_pk, ordinal, call_index)"
# Substring mode re-checks candidates over the prefix that was indexed (plus the needle's
# length, for a match straddling the bound): exact, and bounded. Candidates are re-checked
# in the answer's order, a batch at a time, until the page is full (early exit).
RECHECK_SQL = r"""
SELECT c.session_pk, c.ordinal, c.call_index
FROM unnest(%(pks)s::bigint[], %(ords)s::int[], %(calls)s::int[]) AS c(session_pk, ordinal, call_index)
LEFT JOIN messages m ON c.call_index < 0 AND m.session_pk = c.session_pk AND m.ordinal = c.ordinal
LEFT JOIN tool_calls t ON c.call_index >= 0 AND t.session_pk = c.session_pk AND t.message_ordinal = c.ordinal
                      AND t.call_index = c.call_index
WHERE CASE WHEN c.call_index < 0 THEN left(m.content, %(m_recheck_chars)s)
           ELSE left(t.result_content, %(t_recheck_chars)s) END ILIKE %(pattern)s ESCAPE '\'"""
RECHECK_FIRST_BATCH = 64
PENDING_HITS_SQL = """
SELECT * FROM (
    SELECT m.session_pk, m.ordinal, -1 AS call_index, m.ts, 0::float8 AS rank FROM messages m
    WHERE m.session_pk = ANY(%(pending)s) AND NOT m.is_system AND {m_match}
    UNION ALL
    SELECT t.session_pk, t.message_ordinal, t.call_index, m.ts, 0::float8
    FROM tool_calls t JOIN messages m ON m.session_pk = t.session_pk AND m.ordinal = t.message_ordinal
    WHERE t.session_pk = ANY(%(pending)s) AND {t_match}
) u ORDER BY ts DESC NULLS LAST LIMIT %(window)s"""
PAGE_SQL = """
SELECT mc.name || ':' || s.session_id AS session_id, s.project, mc.name AS machine, s.agent,
       p.ordinal, msg.role, msg.ts AS timestamp,
       CASE WHEN p.rank >= 0 THEN p.rank ELSE (
           SELECT ts_rank_cd(d.tsv, %(tsq)s::tsquery)::float8 FROM search_docs d
           WHERE d.session_pk = p.session_pk AND d.ordinal = p.ordinal AND d.call_index = p.call_index) END AS rank,
       CASE WHEN p.call_index < 0 THEN 'message' ELSE 'tool_output' END AS source, t.tool_name,
       b.start, substr(b.body, b.start, %(span)s + 1) AS window
FROM unnest(%(pks)s::bigint[], %(ords)s::int[], %(calls)s::int[], %(ranks)s::float8[])
     WITH ORDINALITY AS p(session_pk, ordinal, call_index, rank, n)
JOIN sessions s ON s.id = p.session_pk JOIN machines mc ON mc.id = s.machine_id
JOIN messages msg ON msg.session_pk = p.session_pk AND msg.ordinal = p.ordinal
LEFT JOIN tool_calls t ON p.call_index >= 0 AND t.session_pk = p.session_pk
                      AND t.message_ordinal = p.ordinal AND t.call_index = p.call_index
-- The window is read one character longer than shown: whether text follows it is then known
-- without length(body), which would decompress a whole (up to 2 MB) tool output. The first
-- occurrence is looked for in the first 2,048 characters before the whole indexed prefix:
-- lower() of 32 KB per row was most of this query's time, and most hits are early.
CROSS JOIN LATERAL (
    SELECT greatest(1, COALESCE(NULLIF(strpos(lower(left(x.body, 2048)), %(needle)s), 0),
                                strpos(lower(left(x.body, %(m_chars)s)), %(needle)s)) - %(before)s) AS start,
           x.body
    FROM (SELECT CASE WHEN p.call_index < 0 THEN msg.content ELSE t.result_content END AS body) x
) b
ORDER BY p.n"""


def _ilike_all(column: str, compiled: Compiled, params: dict[str, Any]) -> str:
    """The pending branch's test: every positive piece present, no negative piece present."""
    parts = []
    for i, text in enumerate(compiled.must):
        params[f"must{i}"] = like_pattern(text)
        parts.append(f"{column} ILIKE %(must{i})s ESCAPE '\\'")
    for i, text in enumerate(compiled.must_not):
        params[f"mustnot{i}"] = like_pattern(text)
        parts.append(f"{column} NOT ILIKE %(mustnot{i})s ESCAPE '\\'")
    return "(" + " AND ".join(parts) + ")"


def _estimated_matches(conn: psycopg.Connection, params: dict[str, Any]) -> float:
    """The planner's estimate of matching documents (from the tsv column's statistics; ~1 ms)."""
    plan = scalar(conn.execute(ESTIMATE_SQL, params).fetchone())
    return float(plan[0]["Plan"]["Plan Rows"])


def _indexed(conn: psycopg.Connection, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Try the newest-first walk within WALK_BUDGET_MS, else let the planner use the GIN index.
    A term the statistics call rare goes to the GIN plan at once: its walk would only time out."""
    # Never a prepared statement: after five runs PostgreSQL may keep a generic plan, chosen
    # without seeing the query's terms -- the walk, which reads the whole ts index for a rare
    # term (measured: 8 ms became 200 ms at 100k messages).
    if _estimated_matches(conn, params) < WALK_MIN_ESTIMATE:
        return conn.execute(sql, params, prepare=False).fetchall()
    try:
        with conn.transaction():
            conn.execute("SET LOCAL enable_bitmapscan = off")
            conn.execute(f"SET LOCAL statement_timeout = {int(WALK_BUDGET_MS)}")
            rows = conn.execute(sql, params, prepare=False).fetchall()
            # SET LOCAL outlives a released savepoint: restore the connection's own limits.
            conn.execute("RESET enable_bitmapscan")
            conn.execute("RESET statement_timeout")
            return rows
    except psycopg.errors.QueryCanceled:
        pass
    return conn.execute(sql, params, prepare=False).fetchall()


def _recheck(
    conn: psycopg.Connection,
    ordered: list[tuple[Any, ...]],
    pending: set[int],
    needed: int,
    params: dict[str, Any],
) -> list[tuple[Any, ...]]:
    """The first ``needed`` exact hits of ``ordered``: indexed candidates re-checked by ILIKE in
    growing batches, in order, stopping once enough passed; pending hits are exact already."""
    kept: list[tuple[Any, ...]] = []
    pos, batch = 0, max(RECHECK_FIRST_BATCH, needed)
    while pos < len(ordered) and len(kept) < needed:
        chunk, pos = ordered[pos : pos + batch], pos + batch
        check = [h for h in chunk if h[0] not in pending]
        passed: set[tuple[int, int, int]] = set()
        if check:
            passed = {
                (r[0], r[1], r[2])
                for r in conn.execute(
                    RECHECK_SQL,
                    {
                        **params,
                        "pks": [h[0] for h in check],
                        "ords": [h[1] for h in check],
                        "calls": [h[2] for h in check],
                    },
                )
            }
        kept += [h for h in chunk if h[0] in pending or (h[0], h[1], h[2]) in passed]
        batch *= 2
    return kept[:needed]


def search(
    conn: psycopg.Connection,
    compiled: Compiled,
    *,
    where: Where,
    sort: str,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """One page of hits (``limit + 1`` rows, so the caller knows whether there is more)."""
    session_where, params = where.sql, where.bind()
    pending = scalar(conn.execute(PENDING_SQL.format(where=session_where), params).fetchone())
    params.update(tsq=compiled.tsquery, window=SEARCH_WINDOW, pending=pending)
    ranked = sort == "rank"
    sql = INDEXED_SQL.format(
        where=session_where, rank=RANK_EXPR if ranked else "-1::float8", join=RANK_JOIN if ranked else ""
    )
    hits = _indexed(conn, sql, params)
    if pending:
        query = PENDING_HITS_SQL.format(
            m_match=_ilike_all("m.content", compiled, params),
            t_match=_ilike_all("t.result_content", compiled, params),
        )
        hits += [(*h[:4], 0.0) for h in conn.execute(query, params).fetchall()]
    newest = [-(h[3].timestamp()) if h[3] else float("inf") for h in hits]
    order = sorted(
        range(len(hits)),
        key=lambda i: (
            ((-hits[i][4], newest[i]) if ranked else (newest[i],)) + (hits[i][0], hits[i][1], hits[i][2])
        ),
    )
    ordered = [hits[i] for i in order]
    if compiled.literal is not None:
        ordered = _recheck(
            conn,
            ordered,
            set(pending),
            offset + limit + 1,
            {
                "pattern": like_pattern(compiled.literal),
                "m_recheck_chars": MESSAGE_INDEXED_CHARS + len(compiled.literal),
                "t_recheck_chars": TOOL_OUTPUT_INDEXED_CHARS + len(compiled.literal),
            },
        )
    page = ordered[offset : offset + limit + 1]
    if not page:
        return []
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            PAGE_SQL,
            {
                "pks": [h[0] for h in page],
                "ords": [h[1] for h in page],
                "calls": [h[2] for h in page],
                "ranks": [h[4] for h in page],
                "span": SNIPPET_CHARS,
                "m_chars": MESSAGE_INDEXED_CHARS,
                "needle": compiled.needle,
                "before": SNIPPET_BEFORE,
                "tsq": compiled.tsquery,
            },
        )
        return cur.fetchall()
