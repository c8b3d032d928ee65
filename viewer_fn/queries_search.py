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
from datetime import UTC, datetime
from typing import Any

import psycopg

from avcore.db import scalar
from viewer_fn.filters import Where, base_where
from viewer_fn.search_page import Hit, page_rows, rank_page
from viewer_fn.search_probe import Probed, listed_hours, newest_first, time_stats
from viewer_fn.search_query import Compiled, condition_sql, rank_sql
from viewer_fn.search_texts import TextFilter

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
PENDING_SQL = """
SELECT COALESCE(array_agg(s.id), '{{}}') FROM sessions s LEFT JOIN search_chunks_state st ON st.session_pk = s.id
WHERE (st.session_pk IS NULL OR st.indexed_seq < s.change_seq) AND {where}"""
# The newest texts of a probe, one row each (its first matching chunk, its best rank). The index
# finds candidate chunks (``lookup``, within the search's sessions when the user filtered them:
# the index on their primary key narrows the lookup before any row is read); they are sorted
# newest first by numbers alone (the chunk's vector and text stay unread), and the rest
# (``passes``: positions of a longer phrase, a substring's LIKE, the role, an excluded word, the
# upper time bound) is tested on them in that order, by row address, only until the window is
# full. The rank, costly too, is computed only for the texts kept, from their matching chunks.
# One snapshot: the addresses hold. Every chunk of a text has the text's time, so grouping by it
# keeps one row per text and the order streams. Each row also carries how many candidates the
# lookup returned (what search_probe prices a fetch on); the newest candidate's text comes back
# even when it does not pass (``passed`` false), so that count arrives with no text found too.
INDEXED_SQL = """
SELECT h.session_pk, h.ordinal, h.call_index, h.ts, h.start_char, {rank}, h.passed, h.candidates FROM (
    SELECT session_pk, ordinal, call_index, ts, min(start_char) FILTER (WHERE p.passed) AS start_char,
           array_agg(tid) FILTER (WHERE p.passed) AS tids, bool_or(p.passed) AS passed,
           max(candidates) AS candidates
    FROM (
        SELECT d.session_pk, d.ordinal, d.call_index, d.ts, d.start_char, d.ctid AS tid,
               count(*) OVER () AS candidates,
               row_number() OVER (ORDER BY d.ts DESC NULLS LAST, d.session_pk, d.ordinal, d.call_index) AS n
        FROM search_chunks d
        WHERE {lookup} AND {range} AND NOT d.session_pk = ANY(%(pending)s){sessions}
        ORDER BY d.ts DESC NULLS LAST, d.session_pk, d.ordinal, d.call_index
        OFFSET 0
    ) x CROSS JOIN LATERAL (SELECT {passes} AS passed OFFSET 0) p
    WHERE p.passed OR x.n = 1
    GROUP BY ts, session_pk, ordinal, call_index
    ORDER BY ts DESC NULLS LAST, session_pk, ordinal, call_index LIMIT %(need)s + 1
) h"""
# A term's matches in a block of days, by the index of tokens by day (migration 0012): `= ANY`
# is one exact entry per day, looked up with the words (an index scan a day), where a range
# would collect every row of it first; only the matches' pages are read. The days come from a
# subquery, unseen by the planner: priced per day as if each read the word's whole entry, a
# visible list of a hundred looks dearer than fetching every match, which is what this avoids.
DAYS_BOUND = "(d.hour / 24) = ANY(ARRAY(SELECT generate_series(%(first_day)s::int, %(last_day)s::int)))"
# Rows stamped after today (none, or a few: a range of them), read with the newest block. A
# statement of their own: OR-ed with the days, the days would only filter the word's every match.
LATER_DAYS_BOUND = "d.hour / 24 > %(last_day)s::int"
DAY_LOOKUP = "d.tsv @@ %(tsq)s::tsquery"  # exact where every term is one token (Compiled.keys)
INDEXED_CHECK = "EXISTS (SELECT 1 FROM search_chunks d WHERE d.ctid = x.tid AND {check})"
INDEXED_RANK = "(SELECT max({rank}) FROM search_chunks d WHERE d.ctid = ANY(h.tids))"
# Only with the user's own filters: their sessions' ids (the live sessions with messages are the
# only ones that have current chunks: a deleted or emptied session is re-indexed to none, and
# pending meanwhile). As values, not a subquery, so the planner can combine the primary key's
# index with the term's.
SCOPE_SQL = """
SELECT COALESCE(array_agg(s.id ORDER BY s.id), '{{}}'),
       COALESCE(sum(s.message_count), 0)::float8 / greatest((SELECT sum(message_count) FROM sessions), 1)
FROM sessions s WHERE {where}"""
INDEXED_SESSIONS = " AND d.session_pk = ANY(%(scope)s)"
# A fetch by the term compares them on each candidate instead: with the key's index usable,
# PostgreSQL would read every chunk of those sessions and compute search_keys() on each (a
# function it prices far too low: 37 s for `function` in one project at 1 M messages).
FETCH_SESSIONS = " AND d.session_pk + 0 = ANY(%(scope)s)"
INDEXED_EXCLUDE = """NOT EXISTS (SELECT 1 FROM search_chunks e WHERE e.session_pk = x.session_pk AND e.ordinal = x.ordinal
                  AND e.call_index = x.call_index AND e.tsv @@ %(exclude)s::tsquery)"""
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


@dataclass(frozen=True)
class Found:
    rows: list[dict[str, Any]]  # the page, plus one row when there is more (limit + 1)
    truncated: bool  # more texts matched than the window holds
    looked_back_to: datetime | None  # when truncated: the time of the oldest text in the window


def _lookup_and_check(compiled: Compiled) -> tuple[str, str]:
    """Indexed chunks: what the index finds candidates by, and what is then checked on each
    (nothing when the lookup is the whole condition: ``keys_exact``, or a substring's trigrams,
    whose LIKE the index itself re-checks)."""
    if not compiled.keys:
        return condition_sql(compiled, "d.tsv", "d.body"), ""
    lookup = "search_keys(d.tsv) @@ %(keys)s::tsquery"
    return lookup, "" if compiled.keys_exact else condition_sql(compiled, "d.tsv", "d.body")


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


def _hour(t: datetime) -> int:
    return math.floor(t.timestamp() / 3600)  # the index's hour column (migration 0007)


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

    def probe(since: datetime | None) -> Probed:
        # A time: the index's time range from it on (it is never before the filter's lower
        # bound); None: the term's own index entries, every match (the filter's lower bound is
        # then compared on each row, like its upper bound).
        by_term, hours = since is None, []
        if since is not None and texts.before is not None and listed_hours(since, texts.before):
            hours = list(range(_hour(since), _hour(texts.before) + 1))
            bound = "d.hour = ANY(%(hours)s) AND d.ts >= %(since)s"  # the range's hours alone
        elif since is not None:
            bound = "d.hour >= %(since_hour)s AND d.ts >= %(since)s"  # by hour, then exactly
        else:
            bound, since = ("d.ts >= %(since)s", texts.since) if texts.since is not None else ("TRUE", None)
        passes = ([INDEXED_CHECK.format(check=check)] if check else []) + texts.indexed_sql("x")
        sql = INDEXED_SQL.format(
            lookup=lookup,
            range=bound,
            passes=" AND ".join(passes + ([INDEXED_EXCLUDE] if compiled.exclude else [])) or "TRUE",
            rank=INDEXED_RANK.format(rank=rank_sql(compiled, "d.tsv")) if ranked else "NULL::float8",
            sessions="" if scope is None else FETCH_SESSIONS if by_term else INDEXED_SESSIONS,
        )
        # Never a prepared statement: a generic plan, chosen without seeing the terms or the
        # range, could walk the time index for a rare term.
        values = {
            "scope": scope,
            "since": since,
            "since_hour": _hour(since) if since else None,
            "hours": hours,
        }
        rows = conn.execute(sql, {**params, **values, "need": need}, prepare=False).fetchall()
        # Each probe reads everything from its time on, so it replaces the earlier ones' texts.
        hits.clear()
        read_back_to[0] = None
        _merge([row[:6] for row in rows if row[6]][:need], hits)
        return Probed(texts=len(hits), candidates=rows[0][7] if rows else 0)

    read_back_to: list[int | None] = [None]  # the oldest day the daily probes have read whole

    def by_day(since: datetime) -> int:
        # The term's matches in the days from its day to the day before those read already (every
        # match of each, so the texts found so far stand); the first block up to today, and any
        # row stamped later.
        newer = read_back_to[0]
        today = math.floor((texts.before or datetime.now(UTC)).timestamp() / 86400)
        days = {
            "first_day": math.floor(since.timestamp() / 86400),
            "last_day": today if newer is None else newer - 1,
        }
        bounds = [DAYS_BOUND] + ([LATER_DAYS_BOUND] if newer is None and texts.before is None else [])
        if newer is None:
            hits.clear()
        read_back_to[0] = days["first_day"]
        for bound in bounds:
            sql = INDEXED_SQL.format(
                lookup=DAY_LOOKUP,
                range=bound + (" AND d.ts >= %(text_since)s" if texts.since is not None else ""),
                passes=" AND ".join(texts.indexed_sql("x")) or "TRUE",
                rank=INDEXED_RANK.format(rank=rank_sql(compiled, "d.tsv")) if ranked else "NULL::float8",
                sessions="",
            )
            rows = conn.execute(sql, {**params, **days, "need": need}, prepare=False).fetchall()
            _merge([row[:6] for row in rows if row[6]][:need], hits)
        return len(hits)

    scope, share = None, 1.0
    if where != BASE_WHERE:
        row = conn.execute(SCOPE_SQL.format(where=where), params).fetchone()
        scope, share = (list(row[0]), float(row[1])) if row else ([], 0.0)
        if not scope:
            return hits
    # A filter's sessions hold about their messages' share of the rows: the first range is sized
    # to hold as many of theirs as an unfiltered search's first range holds of all.
    # Every term one token and nothing else to pass: the index of tokens by day answers exactly
    # (migration 0012); a filter's candidates would mostly not pass, so it keeps to the others.
    daily = (
        compiled.mode == "words"
        and compiled.tsquery is not None
        and compiled.keys == compiled.tsquery
        and scope is None
        and texts.kinds is None
        and compiled.exclude is None
    )
    newest_first(
        time_stats(conn),
        need,
        probe,
        newest=texts.before,
        oldest=texts.since,
        share=share,
        by_day=by_day if daily else None,
    )
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
        condition=condition_sql(compiled, "x.tsv", "x.body"),
        rank=rank_sql(compiled, "x.tsv"),
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
        page = rank_page(conn, compiled, params, window[offset : offset + limit + 1])
        rows = page_rows(conn, compiled, page) if page else []
    return Found(rows, truncated, newest[SEARCH_WINDOW - 1].ts if truncated else None)
