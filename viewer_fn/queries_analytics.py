"""Analytics reads: the filtered root sessions, and per-session aggregates of their messages.

Every endpoint starts from the same set: root sessions (not subagent/fork, not
deleted, with messages) that pass the common filter, whose start
(``COALESCE(started_at, created_at)``) falls on a local calendar day in
``[from, to]`` of the chosen IANA timezone. The day bounds are turned into exact
UTC instants in SQL (``AT TIME ZONE``), so the ``sessions_started`` index serves
the range and no ±14 h padding is needed. Day-of-week and hour filters apply to
the session's local start. Message-level queries only read messages of those
sessions, by primary key.
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
       (COALESCE(s.started_at, s.created_at) AT TIME ZONE %(tz)s)::date AS local_day
FROM sessions s JOIN machines mc ON mc.id = s.machine_id
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
TOOL_CALLS_SQL = """
SELECT session_pk, category, count(*) AS calls FROM tool_calls
WHERE session_pk = ANY(%(pks)s) GROUP BY 1, 2"""
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
      AND (input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens) > 0
    GROUP BY 1, 2
)
SELECT (ts AT TIME ZONE %(tz)s)::date AS day, COALESCE(model, '') AS model, count(*) AS messages,
       sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens,
       sum(cache_creation_tokens)::bigint AS cache_creation_tokens, sum(cache_read_tokens)::bigint AS cache_read_tokens
FROM per_message GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2"""


@dataclass(frozen=True)
class AnalyticsFilter:
    day_from: date
    day_to: date
    tz: str
    sessions: SessionFilter
    dow: int | None = None
    hour: int | None = None


def filtered_sessions(conn: psycopg.Connection, f: AnalyticsFilter) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"tz": f.tz, "day_from": f.day_from, "day_to": f.day_to, "dow": f.dow, "hour": f.hour}
    where = root_where(f.sessions, params)
    extra = (DOW_SQL if f.dow is not None else "") + "\n  " + (HOUR_SQL if f.hour is not None else "")
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(SESSIONS_SQL.format(where=where, dow_hour=extra), params)  # type: ignore[arg-type]
        return cur.fetchall()


def _rows(conn: psycopg.Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    if not params.get("pks"):
        return []
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, params)  # type: ignore[arg-type]
        return cur.fetchall()


def message_counts(conn: psycopg.Connection, pks: list[int]) -> dict[int, dict[str, Any]]:
    return {r["session_pk"]: r for r in _rows(conn, MESSAGE_COUNTS_SQL, {"pks": pks})}


def hour_of_week(conn: psycopg.Connection, pks: list[int], tz: str) -> list[dict[str, Any]]:
    return _rows(conn, HOUR_OF_WEEK_SQL, {"pks": pks, "tz": tz})


def velocity_rows(conn: psycopg.Connection, pks: list[int]) -> dict[int, dict[str, Any]]:
    return {r["session_pk"]: r for r in _rows(conn, VELOCITY_SQL, {"pks": pks})}


def tool_call_rows(conn: psycopg.Connection, pks: list[int]) -> list[dict[str, Any]]:
    return _rows(conn, TOOL_CALLS_SQL, {"pks": pks})


def token_rows(conn: psycopg.Connection, pks: list[int], tz: str) -> list[dict[str, Any]]:
    return _rows(conn, TOKENS_SQL, {"pks": pks, "tz": tz})


def duration_min(s: dict[str, Any]) -> float | None:
    started, ended = s.get("started"), s.get("ended_at")
    if isinstance(started, datetime) and isinstance(ended, datetime) and ended >= started:
        return (ended - started).total_seconds() / 60
    return None
