"""Global search: the newest matching texts, the same before and after the indexer runs.

A *text* is a message's content or a tool output; ``search_chunks`` holds each in chunks
(migration 0007), filled after the write by the indexer, so pushes never pay for the index
(docs/design-search.md). A chunk matches when it meets the compiled query's condition
(``search_query.Compiled``); a text matches when one of its chunks does (and, in words mode,
none holds an excluded term).

One search, in one repeatable-read snapshot:

1. *Pending*: sessions changed since they were indexed (usually none or a few). Their texts
   are cut into chunks by the same ``text_chunks()`` and tested with the same condition, after
   a cheap ILIKE test that every match passes; so they match exactly as they will once indexed.
2. *Indexed*: the newest ``SEARCH_WINDOW + 1`` matching texts of the other live sessions that
   pass the filters, read newest first one time range at a time (``search_probe``).
3. *Window*: both sets merged, newest first; the newest ``SEARCH_WINDOW`` are ranked (or kept by
   recency) and paged. When more matched, the answer says ``truncated`` and how far back the
   window reaches. Only the page is joined to sessions and gets a snippet.

Rank is ``ts_rank_cd`` of the best matching chunk, computed from the same vector on both sides,
so the order does not change when the indexer runs either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from avcore.db import scalar
from viewer_fn.filters import Where, base_where
from viewer_fn.search_probe import newest_first, time_stats
from viewer_fn.search_query import Compiled

SEARCH_WINDOW = 1000
SEARCH_WORK_MEM = "32MB"  # per search transaction (SET LOCAL); see search()
# Heap pages a bitmap scan asks the kernel for ahead of reading them (per search transaction): a
# rare term's matches lie one per page across the table, and read one at a time from a cold cache
# they were most of a first search's time (docs/design-search.md, "Cold pages").
SEARCH_PREFETCH_PAGES = 256
# Set only where the server prefetches at all: where it cannot (no posix_fadvise, e.g. macOS) the
# setting is 0 and refuses anything else; an operator's 0 is kept too.
SEARCH_SETTINGS_SQL = """
SELECT set_config('work_mem', %(work_mem)s, true),
       set_config('effective_io_concurrency',
                  CASE WHEN current_setting('effective_io_concurrency')::int > 0 THEN %(prefetch)s ELSE '0' END,
                  true)"""
BASE_WHERE = base_where("s").sql  # live sessions with messages: what every search looks in
CHUNK_MAX_CHARS = 6144 + 2048 + 2 * 256 + 8  # chunks_of(): bytes (>= characters) of the longest chunk
SNIPPET_BEFORE, SNIPPET_CHARS = 80, 260
PENDING_SQL = """
SELECT COALESCE(array_agg(s.id), '{{}}') FROM sessions s LEFT JOIN search_chunks_state st ON st.session_pk = s.id
WHERE (st.session_pk IS NULL OR st.indexed_seq < s.change_seq) AND {where}"""
# The newest texts of a probe, one row each (its first matching chunk, its best rank). The index
# finds candidate chunks (``lookup``); they are sorted newest first by numbers alone (the chunk's
# vector and text stay unread), and the rest of the condition (``check``: positions of a longer
# phrase, a substring's LIKE, each decompressing the chunk) is tested on them in that order, by
# row address, only until the window is full. The rank, costly too, is computed only for the
# texts kept, from their matching chunks. One snapshot: the addresses hold. Every chunk of a text
# has the text's time, so grouping by it keeps one row per text and the order streams.
INDEXED_SQL = """
SELECT h.session_pk, h.ordinal, h.call_index, h.ts, h.start_char, {rank} FROM (
    SELECT session_pk, ordinal, call_index, ts, min(start_char) AS start_char, array_agg(tid) AS tids
    FROM (
        SELECT d.session_pk, d.ordinal, d.call_index, d.ts, d.start_char, d.ctid AS tid
        FROM search_chunks d
        WHERE {lookup} AND {range}{texts}
          AND NOT d.session_pk = ANY(%(pending)s){sessions}{exclude}
        ORDER BY d.ts DESC NULLS LAST, d.session_pk, d.ordinal, d.call_index
        OFFSET 0
    ) x{check}
    GROUP BY ts, session_pk, ordinal, call_index
    ORDER BY ts DESC NULLS LAST, session_pk, ordinal, call_index LIMIT %(need)s
) h"""
INDEXED_CHECK = """
    WHERE EXISTS (SELECT 1 FROM search_chunks d WHERE d.ctid = x.tid AND {check})"""
INDEXED_RANK = "(SELECT max({rank}) FROM search_chunks d WHERE d.ctid = ANY(h.tids))"
# Only with the user's own filters: the live sessions with messages are the only ones that have
# current chunks (a deleted or emptied session is re-indexed to none, and pending meanwhile).
INDEXED_SESSIONS = """
  AND d.session_pk IN (SELECT s.id FROM sessions s WHERE {where})"""
INDEXED_EXCLUDE = """
  AND NOT EXISTS (SELECT 1 FROM search_chunks x WHERE x.session_pk = d.session_pk AND x.ordinal = d.ordinal
                  AND x.call_index = d.call_index AND x.tsv @@ %(exclude)s::tsquery)"""
# The same condition on texts not indexed yet, chunked by the same function. OFFSET 0 keeps
# each chunk's vector computed once (a subquery PostgreSQL would otherwise inline).
PENDING_HITS_SQL = """
SELECT d.session_pk, d.ordinal, d.call_index, d.ts, c.start_char, {rank} AS rank
FROM (
    SELECT m.session_pk, m.ordinal, -1 AS call_index, m.ts, m.content AS t FROM messages m
    WHERE m.session_pk = ANY(%(pending)s) AND NOT m.is_system AND {m_prefilter}{m_texts}
    UNION ALL
    SELECT t.session_pk, t.message_ordinal, t.call_index, m.ts, t.result_content
    FROM tool_calls t JOIN messages m ON m.session_pk = t.session_pk AND m.ordinal = t.message_ordinal
    WHERE t.session_pk = ANY(%(pending)s) AND t.result_content IS NOT NULL AND t.result_content <> ''
      AND {t_prefilter}{t_texts}
) d
CROSS JOIN LATERAL text_chunks(d.t) c
CROSS JOIN LATERAL (SELECT {vector} AS tsv, {body} AS body OFFSET 0) x
WHERE {condition}{exclude}"""
PENDING_EXCLUDE = """
  AND NOT EXISTS (SELECT 1 FROM text_chunks(d.t) c2 WHERE search_vector(c2.body) @@ %(exclude)s::tsquery)"""
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


TEXT_KINDS = ("user", "assistant", "system", "tool")  # a message's role, or "tool": a tool's output
# The kinds of indexed texts asked for: tool outputs by their call index, messages by their role.
INDEXED_TOOL = "d.call_index >= 0"
INDEXED_MESSAGE = """d.call_index < 0 AND EXISTS (SELECT 1 FROM messages m WHERE m.session_pk = d.session_pk
                                                AND m.ordinal = d.ordinal AND m.role = ANY(%(text_roles)s))"""


@dataclass(frozen=True)
class TextFilter:
    """Which texts count, by their own time and kind (the session filters apply to sessions)."""

    kinds: frozenset[str] | None = None  # among TEXT_KINDS; None: every text
    since: datetime | None = None  # the text's time is at or after this
    before: datetime | None = None  # and before this

    @property
    def roles(self) -> list[str]:
        return sorted((self.kinds or frozenset()) - {"tool"})

    def indexed_sql(self) -> str:
        """Conditions on a chunk ``d`` (``since`` is applied by the probes, ``_indexed``)."""
        parts = [" AND d.ts < %(text_before)s"] if self.before is not None else []
        if self.kinds is not None:
            kinds = ([INDEXED_TOOL] if "tool" in self.kinds else []) + (
                [INDEXED_MESSAGE] if self.roles else []
            )
            parts.append(" AND ((" + ") OR (".join(kinds) + "))")
        return "".join(parts)

    def pending_sql(self, *, tool: bool) -> str:
        """Conditions on a text not indexed yet: message ``m`` itself, or a tool output of it."""
        parts = [" AND m.ts >= %(text_since)s"] if self.since is not None else []
        if self.before is not None:
            parts.append(" AND m.ts < %(text_before)s")
        if self.kinds is not None:
            if tool:
                parts.append("" if "tool" in self.kinds else " AND FALSE")
            else:
                parts.append(" AND m.role = ANY(%(text_roles)s)" if self.roles else " AND FALSE")
        return "".join(parts)


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


@dataclass(frozen=True)
class Found:
    rows: list[dict[str, Any]]  # the page, plus one row when there is more (limit + 1)
    truncated: bool  # more texts matched than the window holds
    looked_back_to: datetime | None  # when truncated: the time of the oldest text in the window


def _condition(compiled: Compiled, vector: str, body: str) -> str:
    """The chunk condition: a text not indexed yet is tested by it (the index's lookup,
    ``search_keys``, is implied by it)."""
    parts = []
    if compiled.tsquery:
        parts.append(f"{vector} @@ %(tsq)s::tsquery")
    if compiled.like:
        parts.append(f"{body} LIKE lower(%(like)s)")
    return " AND ".join(parts)


def _lookup_and_check(compiled: Compiled) -> tuple[str, str]:
    """Indexed chunks: what the index finds candidates by, and what is then checked on each
    (nothing when the lookup is the whole condition: ``keys_exact``, or a substring's trigrams,
    whose LIKE the index itself re-checks)."""
    if not compiled.keys:
        return _condition(compiled, "d.tsv", "d.body"), ""
    lookup = "search_keys(d.tsv) @@ %(keys)s::tsquery"
    return lookup, "" if compiled.keys_exact else _condition(compiled, "d.tsv", "d.body")


def _rank(compiled: Compiled, vector: str) -> str:
    return f"ts_rank_cd({vector}, %(rankq)s::tsquery)::float8" if compiled.rank else "0::float8"


def _merge(rows: list[tuple[Any, ...]], into: dict[tuple[int, int, int], Hit]) -> int:
    """Fold chunk rows into texts (first matching chunk, best rank); returns the new texts."""
    new = 0
    for pk, ordinal, call, ts, start, rank in rows:
        key = (pk, ordinal, call)
        old = into.get(key)
        if old is None:
            new += 1
            into[key] = Hit(pk, ordinal, call, ts, start, rank)
        else:
            best = None if rank is None or old.rank is None else max(rank, old.rank)
            into[key] = Hit(pk, ordinal, call, ts, min(start, old.start_char), best)
    return new


def _indexed(
    conn: psycopg.Connection,
    compiled: Compiled,
    where: str,
    texts: TextFilter,
    params: dict[str, Any],
    need: int,
    ranked: bool,
) -> dict[tuple[int, int, int], Hit]:
    lookup, check = _lookup_and_check(compiled)
    hits: dict[tuple[int, int, int], Hit] = {}

    def probe(since: datetime | None) -> int:
        # A time: the index's time range from it on (it is never before the filter's lower
        # bound); None: the term's own index entries, every match (the filter's lower bound is
        # then compared on each row, like its upper bound).
        if since is not None:
            bound = "d.hour >= %(since_hour)s AND d.ts >= %(since)s"  # by hour, then exactly
        else:
            bound, since = ("d.ts >= %(since)s", texts.since) if texts.since is not None else ("TRUE", None)
        sql = INDEXED_SQL.format(
            lookup=lookup,
            check=INDEXED_CHECK.format(check=check) if check else "",
            range=bound,
            texts=texts.indexed_sql(),
            rank=INDEXED_RANK.format(rank=_rank(compiled, "d.tsv")) if ranked else "NULL::float8",
            sessions=INDEXED_SESSIONS.format(where=where) if where != BASE_WHERE else "",
            exclude=INDEXED_EXCLUDE if compiled.exclude else "",
        )
        # Never a prepared statement: a generic plan, chosen without seeing the terms or the
        # range, could walk the time index for a rare term.
        hour = math.floor(since.timestamp() / 3600) if since is not None else None
        rows = conn.execute(
            sql, {**params, "since": since, "since_hour": hour, "need": need}, prepare=False
        ).fetchall()
        # Each probe reads everything from its time on, so it replaces the earlier ones' texts.
        hits.clear()
        _merge(rows, hits)
        return len(hits)

    # Filters that drop many of the lookup's candidates make the density seen (texts that passed)
    # price a fetch by the term far too low (docs/design-search.md, "Limit of the estimate").
    filtered = where != BASE_WHERE or texts.kinds is not None or compiled.exclude is not None
    newest_first(time_stats(conn), need, probe, newest=texts.before, oldest=texts.since, by_term=not filtered)
    return hits


def _pending(
    conn: psycopg.Connection, compiled: Compiled, texts: TextFilter, params: dict[str, Any]
) -> dict[tuple[int, int, int], Hit]:
    prefilter: dict[str, str] = {}
    for column in ("m.content", "t.result_content"):
        tests = []
        for i, pattern in enumerate(compiled.prefilter):
            params[f"pre{i}"] = pattern
            tests.append(f"{column} ILIKE %(pre{i})s")
        prefilter[column] = " AND ".join(tests) or "TRUE"
    sql = PENDING_HITS_SQL.format(
        m_prefilter=prefilter["m.content"],
        t_prefilter=prefilter["t.result_content"],
        m_texts=texts.pending_sql(tool=False),
        t_texts=texts.pending_sql(tool=True),
        vector="search_vector(c.body)"
        if compiled.tsquery or compiled.rank or compiled.keys
        else "NULL::tsvector",
        body="lower(c.body)" if compiled.like else "NULL::text",
        condition=_condition(compiled, "x.tsv", "x.body"),
        rank=_rank(compiled, "x.tsv"),
        exclude=PENDING_EXCLUDE if compiled.exclude else "",
    )
    hits: dict[tuple[int, int, int], Hit] = {}
    _merge(conn.execute(sql, params).fetchall(), hits)
    return hits


def search(
    conn: psycopg.Connection,
    compiled: Compiled,
    *,
    where: Where,
    texts: TextFilter,
    sort: str,
    limit: int,
    offset: int,
) -> Found:
    """One page of hits (``limit + 1`` rows, so the caller knows whether there is more)."""
    session_where = where.sql
    params = where.bind(
        tsq=compiled.tsquery,
        keys=compiled.keys,
        like=compiled.like,
        rankq=compiled.rank,
        exclude=compiled.exclude,
        text_since=texts.since,
        text_before=texts.before,
        text_roles=texts.roles,
    )
    with conn.transaction():
        # One snapshot: a session is either pending or indexed for the whole search.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # A time range's bitmap over 4 MB (the default, ~150 k chunks) turns lossy: every row
        # of its pages is then re-checked, search_keys() recomputed for each (seconds at 1 M).
        # And a bitmap's heap pages are prefetched (SEARCH_PREFETCH_PAGES).
        conn.execute(
            SEARCH_SETTINGS_SQL, {"work_mem": SEARCH_WORK_MEM, "prefetch": str(SEARCH_PREFETCH_PAGES)}
        )
        pending = scalar(conn.execute(PENDING_SQL.format(where=session_where), params).fetchone())
        params["pending"] = pending
        hits = _indexed(
            conn, compiled, session_where, texts, params, SEARCH_WINDOW + 1, ranked=sort == "rank"
        )
        if pending:
            hits.update(_pending(conn, compiled, texts, params))
        newest = sorted(hits.values(), key=Hit.newest_first)
        window = newest[:SEARCH_WINDOW]
        truncated = len(newest) > SEARCH_WINDOW
        if sort == "rank":
            window.sort(key=lambda h: (-(h.rank or 0.0), *h.newest_first()))
        page = _ranked(conn, compiled, params, window[offset : offset + limit + 1])
        rows = _page(conn, compiled, page) if page else []
    return Found(rows, truncated, newest[SEARCH_WINDOW - 1].ts if truncated else None)


def _ranked(
    conn: psycopg.Connection, compiled: Compiled, params: dict[str, Any], page: list[Hit]
) -> list[Hit]:
    """The page with every rank computed (indexed texts read by recency have none yet)."""
    todo = [i for i, h in enumerate(page) if h.rank is None]
    if not todo:
        return page
    sql = PAGE_RANK_SQL.format(
        rank=_rank(compiled, "d.tsv"), condition=_condition(compiled, "d.tsv", "d.body")
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


def _page(conn: psycopg.Connection, compiled: Compiled, page: list[Hit]) -> list[dict[str, Any]]:
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
