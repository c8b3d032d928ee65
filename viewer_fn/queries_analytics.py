"""Analytics reads: the filtered root sessions, and per-session aggregates of their messages.

Every endpoint starts from the same set: root sessions (not subagent/fork, not
deleted, with messages) that pass the common filter, whose start
(``COALESCE(started_at, created_at)``) falls on a local calendar day in
``[from, to]`` of the chosen IANA timezone. The day bounds are turned into exact
UTC instants in SQL (``AT TIME ZONE``), so the ``sessions_started`` index serves
the range and no ±14 h padding is needed. Day-of-week and hour filters apply to
the session's local start.

Message-level figures come from the per-session rollups of migration 0004 for every
session whose rollup is of its current version (``rolled``), and from the raw
messages, by primary key, for the rest (new or changed since the indexer last ran);
the two parts are merged, so figures are exact whether or not the indexer has run.
Rollup timestamps are 15-minute UTC slots: a slot whose first and last instants fall in
different local hours (days, for tokens) of the chosen zone -- only possible for an
offset that is not a multiple of 15 minutes -- is recounted from its raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from viewer_fn.filters import SessionFilter, root_where

SESSIONS_SQL = """
SELECT s.id AS pk, mc.name || ':' || s.session_id AS id, s.agent, s.project, mc.name AS machine, s.first_message,
       s.message_count, s.user_message_count, s.tool_call_count,
       COALESCE(s.started_at, s.created_at) AS started, s.ended_at,
       (COALESCE(s.started_at, s.created_at) AT TIME ZONE %(tz)s)::date AS local_day,
       COALESCE(ro.rolled_seq = s.change_seq, false) AS rolled
FROM sessions s JOIN machines mc ON mc.id = s.machine_id
LEFT JOIN session_rollup ro ON ro.session_pk = s.id
WHERE {where}
  AND COALESCE(s.started_at, s.created_at) >= (%(day_from)s::timestamp AT TIME ZONE %(tz)s)
  AND COALESCE(s.started_at, s.created_at) < ((%(day_to)s::date + 1)::timestamp AT TIME ZONE %(tz)s)
  {dow_hour}
ORDER BY started, s.id"""
DOW_SQL = "AND extract(isodow FROM COALESCE(s.started_at, s.created_at) AT TIME ZONE %(tz)s) - 1 = %(dow)s"
HOUR_SQL = "AND extract(hour FROM COALESCE(s.started_at, s.created_at) AT TIME ZONE %(tz)s) = %(hour)s"
MESSAGE_COUNTS_SQL = """
SELECT session_pk,
       count(*) FILTER (WHERE role = 'assistant') AS assistant_messages,
       count(*) FILTER (WHERE has_thinking) AS thinking_messages,
       count(*) FILTER (WHERE role = 'assistant' AND has_tool_use) AS tool_use_messages,
       count(*) FILTER (WHERE role = 'user' AND NOT is_system) AS human_messages
FROM messages WHERE session_pk = ANY(%(pks)s) GROUP BY session_pk"""
HOUR_OF_WEEK_SQL = """
SELECT (extract(isodow FROM ts AT TIME ZONE %(tz)s) - 1)::int AS day_of_week,
       extract(hour FROM ts AT TIME ZONE %(tz)s)::int AS hour, count(*) AS messages
FROM messages WHERE session_pk = ANY(%(pks)s) AND ts IS NOT NULL
GROUP BY 1, 2"""
# One row per session: the gaps agentsview's velocity needs, computed with lag() in SQL
# so only per-session arrays (not every message) cross the wire.
VELOCITY_SQL = """
WITH ordered AS (
    SELECT session_pk, role, ts, content_length, has_tool_use,
           extract(epoch FROM ts - lag(ts) OVER w) AS gap, lag(role) OVER w AS prev_role
    FROM messages WHERE session_pk = ANY(%(pks)s) AND NOT is_system
    WINDOW w AS (PARTITION BY session_pk ORDER BY ordinal)
)
SELECT session_pk, count(*) AS messages, COALESCE(sum(content_length), 0) AS chars,
       COALESCE(sum(gap) FILTER (WHERE gap >= 0 AND gap <= 300), 0) AS active_seconds,
       COALESCE(array_agg(gap) FILTER (WHERE prev_role = 'user' AND role = 'assistant' AND gap >= 0 AND gap <= 1800),
                '{}') AS turn_gaps,
       extract(epoch FROM min(ts) FILTER (WHERE role = 'assistant') - min(ts) FILTER (WHERE role = 'user'))
           AS first_response
FROM ordered GROUP BY session_pk"""
# Token usage counted once per message: an agent may log one API response as several
# rows sharing its message key (Claude streams one JSONL line per content block, each
# repeating the usage), so rows are collapsed on (session, message key) first.
TOKENS_SQL = """
WITH per_message AS (
    SELECT session_pk, COALESCE(message_key, 'ordinal:' || ordinal) AS k,
           min(ts) AS ts, max(model) AS model,
           max(input_tokens) AS input_tokens, max(output_tokens) AS output_tokens,
           max(cache_creation_tokens) AS cache_creation_tokens, max(cache_read_tokens) AS cache_read_tokens
    FROM messages
    WHERE session_pk = ANY(%(pks)s)
      AND (input_tokens::bigint + output_tokens + cache_creation_tokens + cache_read_tokens) > 0
    GROUP BY 1, 2
)
SELECT (ts AT TIME ZONE %(tz)s)::date AS day, COALESCE(model, '') AS model, count(*) AS messages,
       sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens,
       sum(cache_creation_tokens)::bigint AS cache_creation_tokens, sum(cache_read_tokens)::bigint AS cache_read_tokens
FROM per_message GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2"""


ROLLUP_COUNTS_SQL = """
SELECT session_pk, assistant_messages, thinking_messages, tool_use_messages, human_messages
FROM session_rollup WHERE session_pk = ANY(%(pks)s)"""
# Tool calls summed per (agent, local week of the session's start, category) in SQL: a year's
# sessions have ~32,000 (session, category) rows, which took ~60 ms to fetch and ~55 ms to add up
# in Python at 1 M messages; the groups are a few hundred. ``first_pk`` (the group's smallest
# session pk) lets the caller add categories in the order they first appear session by session.
TOOL_GROUPS_SQL = """
WITH s AS (
    SELECT * FROM unnest(%(pks)s::bigint[], %(agents)s::int[], %(weeks)s::int[]) AS s(pk, agent, week)
), c AS (
    SELECT session_pk, category, calls::bigint AS calls FROM rollup_tool_categories
    WHERE session_pk = ANY(%(rolled)s)
    UNION ALL
    SELECT session_pk, category, count(*) FROM tool_calls WHERE session_pk = ANY(%(raw)s) GROUP BY 1, 2
)
SELECT s.agent, s.week, c.category, sum(c.calls)::bigint AS calls, min(c.session_pk) AS first_pk
FROM c JOIN s ON s.pk = c.session_pk
GROUP BY 1, 2, 3"""
SLOT_END = "(slot + interval '15 minutes' - interval '1 microsecond')"
# Whole slots where they lie in one local hour; the others recounted from their messages.
ROLLUP_HOUR_OF_WEEK_SQL = f"""
WITH r AS (
    SELECT session_pk, slot, messages, slot AT TIME ZONE %(tz)s AS lo, {SLOT_END} AT TIME ZONE %(tz)s AS hi
    FROM rollup_message_slots WHERE session_pk = ANY(%(pks)s)
)
SELECT (extract(isodow FROM lo) - 1)::int AS day_of_week, extract(hour FROM lo)::int AS hour,
       sum(messages)::bigint AS messages
FROM r WHERE date_trunc('hour', lo) = date_trunc('hour', hi) GROUP BY 1, 2
UNION ALL
SELECT (extract(isodow FROM m.ts AT TIME ZONE %(tz)s) - 1)::int, extract(hour FROM m.ts AT TIME ZONE %(tz)s)::int,
       count(*)
FROM r JOIN messages m ON m.session_pk = r.session_pk AND m.ts >= r.slot AND m.ts < r.slot + interval '15 minutes'
WHERE date_trunc('hour', r.lo) <> date_trunc('hour', r.hi) GROUP BY 1, 2"""
ROLLUP_TOKENS_SQL = f"""
WITH r AS (
    SELECT session_pk, slot, model, messages, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
           (slot AT TIME ZONE %(tz)s)::date AS day, ({SLOT_END} AT TIME ZONE %(tz)s)::date AS day_end
    FROM rollup_token_slots WHERE session_pk = ANY(%(pks)s)
), split AS (
    SELECT DISTINCT session_pk, slot FROM r WHERE day <> day_end
), per_message AS (
    SELECT session_pk, COALESCE(message_key, 'ordinal:' || ordinal) AS k,
           min(ts) AS ts, max(model) AS model,
           max(input_tokens) AS input_tokens, max(output_tokens) AS output_tokens,
           max(cache_creation_tokens) AS cache_creation_tokens, max(cache_read_tokens) AS cache_read_tokens
    FROM messages
    WHERE session_pk IN (SELECT session_pk FROM split)
      AND (input_tokens::bigint + output_tokens + cache_creation_tokens + cache_read_tokens) > 0
    GROUP BY 1, 2
)
SELECT day, model, sum(messages)::bigint AS messages, sum(input_tokens)::bigint AS input_tokens,
       sum(output_tokens)::bigint AS output_tokens, sum(cache_creation_tokens)::bigint AS cache_creation_tokens,
       sum(cache_read_tokens)::bigint AS cache_read_tokens
FROM r WHERE day IS NOT DISTINCT FROM day_end GROUP BY 1, 2
UNION ALL
SELECT (p.ts AT TIME ZONE %(tz)s)::date, COALESCE(p.model, ''), count(*), sum(p.input_tokens)::bigint,
       sum(p.output_tokens)::bigint, sum(p.cache_creation_tokens)::bigint, sum(p.cache_read_tokens)::bigint
FROM per_message p JOIN split ON split.session_pk = p.session_pk AND p.ts >= split.slot
                              AND p.ts < split.slot + interval '15 minutes'
GROUP BY 1, 2"""


# Velocity over every session at once, in SQL: per-session rows (rollup, or raw for the
# rest) joined to each session's agent, complexity bucket and tool-call count, then summed
# and ranked per group -- overall (), per agent, per complexity -- so the year's turn gaps
# (~10^5-10^6 values) are ranked by PostgreSQL instead of crossing the wire.
# percentile_disc(p) is the nearest-rank percentile (the ceil(p*n)-th smallest value). Agents
# and complexity buckets travel as small integers (narrower sort rows), gaps as float8.
# The sessions are put in agent order before their gaps are unnested (a nested loop keeps its
# outer order), so the grouping sets' first pass, by agent, needs no sort of the year's gaps
# (~450,000 at 1 M messages), only of its ~9,000 sessions.
VELOCITY_GROUPS_SQL = """
WITH s AS (
    SELECT * FROM unnest(%(pks)s::bigint[], %(agents)s::int[], %(cx)s::int[], %(tools)s::bigint[])
        AS s(pk, agent, cx, tool_calls)
), v AS (
    SELECT session_pk, velocity_messages AS messages, velocity_chars AS chars, active_seconds, turn_gaps,
           first_response
    FROM session_rollup WHERE session_pk = ANY(%(rolled)s) AND velocity_messages > 0
    UNION ALL
    SELECT session_pk, messages, chars, active_seconds, turn_gaps::float8[], first_response FROM ({raw}) raw
), j AS (
    SELECT s.agent, s.cx, s.tool_calls, v.* FROM v JOIN s ON s.pk = v.session_pk
), totals AS (
    SELECT GROUPING(agent, cx) AS g, agent, cx, count(*) AS sessions, sum(messages) AS messages,
           sum(chars) AS chars, sum(active_seconds) AS active_seconds, sum(tool_calls) AS tool_calls,
           percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY first_response)
               FILTER (WHERE first_response >= 0) AS first_response
    FROM j GROUP BY GROUPING SETS ((), (agent), (cx))
), gaps AS (
    SELECT GROUPING(agent, cx) AS g, agent, cx,
           percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY gap) AS turn_gaps
    FROM (SELECT * FROM j ORDER BY agent) j CROSS JOIN LATERAL unnest(j.turn_gaps::float8[]) AS gap
    GROUP BY GROUPING SETS ((), (agent), (cx))
)
SELECT t.*, gaps.turn_gaps FROM totals t
LEFT JOIN gaps ON gaps.g = t.g AND gaps.agent IS NOT DISTINCT FROM t.agent AND gaps.cx IS NOT DISTINCT FROM t.cx"""
NO_RAW_VELOCITY_SQL = """
SELECT NULL::bigint AS session_pk, NULL::bigint AS messages, NULL::numeric AS chars, NULL::numeric AS active_seconds,
       NULL::numeric[] AS turn_gaps, NULL::numeric AS first_response WHERE false"""


@dataclass(frozen=True)
class AnalyticsFilter:
    day_from: date
    day_to: date
    tz: str
    sessions: SessionFilter
    dow: int | None = None
    hour: int | None = None


def filtered_sessions(conn: psycopg.Connection, f: AnalyticsFilter) -> list[dict[str, Any]]:
    where = root_where(f.sessions)
    extra = (DOW_SQL if f.dow is not None else "") + "\n  " + (HOUR_SQL if f.hour is not None else "")
    params = where.bind(tz=f.tz, day_from=f.day_from, day_to=f.day_to, dow=f.dow, hour=f.hour)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(SESSIONS_SQL.format(where=where.sql, dow_hour=extra), params)
        return cur.fetchall()


def rows_without_jit(conn: psycopg.Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run one analytics query. JIT is off: the planner over-estimates rows of arrays (``= ANY``,
    ``unnest``) by 10-400x, and compiling then cost more (~370 ms measured) than the query."""
    if not params.get("pks"):
        return []
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SET LOCAL jit = off")
        cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute(sql, int_arrays(params))
        rows = cur.fetchall()
        # SET LOCAL outlives a released savepoint: restore the connection's own settings.
        cur.execute("RESET jit")
        cur.execute("RESET work_mem")
        return rows


def int_arrays(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with each list of ints as one array literal. psycopg's list dumper checks every
    element in Python to pick the narrowest integer type (~2 us each: ~20 ms under load for a
    year's 8,768 session keys, and velocity sends five such lists); ``repr`` builds the literal in
    C, and PostgreSQL takes its type from where it is used (``= ANY(...)``, ``::bigint[]``)."""
    return {
        k: "{" + repr(v)[1:-1] + "}" if isinstance(v, list) and all(type(x) is int for x in v) else v
        for k, v in params.items()
    }


def split(sessions: list[dict[str, Any]]) -> tuple[list[int], list[int]]:
    """Session pks whose rollup is current, and the rest (computed from raw rows)."""
    rolled = [s["pk"] for s in sessions if s.get("rolled")]
    raw = [s["pk"] for s in sessions if not s.get("rolled")]
    return rolled, raw


def message_counts(conn: psycopg.Connection, sessions: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    rolled, raw = split(sessions)
    rows = rows_without_jit(conn, ROLLUP_COUNTS_SQL, {"pks": rolled}) + rows_without_jit(
        conn, MESSAGE_COUNTS_SQL, {"pks": raw}
    )
    return {r["session_pk"]: r for r in rows}


def hour_of_week(
    conn: psycopg.Connection, sessions: list[dict[str, Any]], tz: str
) -> dict[tuple[int, int], int]:
    rolled, raw = split(sessions)
    cells: dict[tuple[int, int], int] = {}
    for r in rows_without_jit(conn, ROLLUP_HOUR_OF_WEEK_SQL, {"pks": rolled, "tz": tz}) + rows_without_jit(
        conn, HOUR_OF_WEEK_SQL, {"pks": raw, "tz": tz}
    ):
        key = (r["day_of_week"], r["hour"])
        cells[key] = cells.get(key, 0) + int(r["messages"])
    return cells


def velocity_groups(
    conn: psycopg.Connection, sessions: list[dict[str, Any]], complexity: list[str]
) -> list[dict[str, Any]]:
    """Velocity sums and nearest-rank percentiles per group (``g`` = GROUPING(agent, cx):
    3 overall, 1 per agent, 2 per complexity); ``complexity`` is each session's bucket."""
    if not sessions:
        return []
    rolled, raw = split(sessions)
    agents = sorted({s["agent"] for s in sessions})
    buckets = sorted(set(complexity))
    params: dict[str, Any] = {
        "pks": [s["pk"] for s in sessions],
        "agents": [agents.index(s["agent"]) for s in sessions],
        "cx": [buckets.index(c) for c in complexity],
        "tools": [s["tool_call_count"] for s in sessions],
        "rolled": rolled,
        "raw": raw,
    }
    raw_sql = VELOCITY_SQL.replace("%(pks)s", "%(raw)s") if raw else NO_RAW_VELOCITY_SQL
    rows = rows_without_jit(conn, VELOCITY_GROUPS_SQL.format(raw=raw_sql), params)
    for r in rows:
        r["agent"] = agents[r["agent"]] if r["agent"] is not None else None
        r["cx"] = buckets[r["cx"]] if r["cx"] is not None else None
    return rows


def tool_groups(
    conn: psycopg.Connection, sessions: list[dict[str, Any]], weeks: list[date]
) -> list[dict[str, Any]]:
    """Tool calls per (agent, week, category) with ``first_pk``; ``weeks`` is each session's week."""
    if not sessions:
        return []
    rolled, raw = split(sessions)
    agents = sorted({s["agent"] for s in sessions})
    index = {a: i for i, a in enumerate(agents)}
    params: dict[str, Any] = {
        "pks": [s["pk"] for s in sessions],
        "agents": [index[s["agent"]] for s in sessions],
        "weeks": [w.toordinal() for w in weeks],
        "rolled": rolled,
        "raw": raw,
    }
    rows = rows_without_jit(conn, TOOL_GROUPS_SQL, params)
    for r in rows:
        r["agent"] = agents[r["agent"]]
        r["week"] = date.fromordinal(r["week"])
    return rows


def token_rows(conn: psycopg.Connection, sessions: list[dict[str, Any]], tz: str) -> list[dict[str, Any]]:
    """Rows of (local day, model, sums); a (day, model) may appear more than once (the caller sums)."""
    rolled, raw = split(sessions)
    rows = rows_without_jit(conn, ROLLUP_TOKENS_SQL, {"pks": rolled, "tz": tz}) + rows_without_jit(
        conn, TOKENS_SQL, {"pks": raw, "tz": tz}
    )
    return sorted(rows, key=lambda r: (r["day"] is not None, r["day"] or date.min, r["model"]))


def duration_min(s: dict[str, Any]) -> float | None:
    started, ended = s.get("started"), s.get("ended_at")
    if isinstance(started, datetime) and isinstance(ended, datetime) and ended >= started:
        return (ended - started).total_seconds() / 60
    return None
