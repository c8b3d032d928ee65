"""Token usage grouped as pricing needs it: per session, local day, model, prompt class and price time.

Sessions whose rollup is current are read from ``rollup_token_slots`` (migration 0006 splits
them by prompt class); the others from their messages, by primary key, collapsed on the
message key exactly as the rollup does, so each API response is counted once and the
figures are the same whether or not the indexer has run. ``price_time`` is the UTC day
(prices change on UTC dates), or the 15-minute slot for models priced by time of day;
null for messages without a timestamp (priced at today's prices).

The local day is the slot's: exact in every zone whose offset is a multiple of 15
minutes, which every zone in use today is.
"""

from __future__ import annotations

from typing import Any

import psycopg

from viewer_fn.queries_analytics import rows_without_jit

# A session's subagent and fork children, and theirs: their spend is the session's work. UNION
# (not UNION ALL) ends the walk even if parent links form a cycle.
TREE_SQL = """
WITH RECURSIVE tree AS (
    SELECT s.id, s.machine_id, s.session_id, s.id AS root FROM sessions s WHERE s.id = ANY(%(pks)s)
    UNION
    SELECT c.id, c.machine_id, c.session_id, t.root
    FROM tree t JOIN sessions c ON c.machine_id = t.machine_id AND c.parent_session_id = t.session_id
    WHERE c.deleted_at IS NULL AND c.relationship IN ('subagent', 'fork')
)
SELECT t.id AS pk, t.root, COALESCE(ro.rolled_seq = s.change_seq, false) AS rolled, s.models
FROM tree t JOIN sessions s ON s.id = t.id LEFT JOIN session_rollup ro ON ro.session_pk = t.id"""
SLOT = "date_bin('15 minutes', ts, timestamptz '2000-01-01 00:00:00+00')"
PROMPT = "prompt_class(input_tokens::bigint + cache_creation_tokens + cache_read_tokens)"
USAGE_SQL = f"""
WITH u AS (
    SELECT session_pk, slot, model, prompt_class, messages::bigint AS messages, input_tokens, output_tokens,
           cache_creation_tokens, cache_read_tokens
    FROM rollup_token_slots WHERE session_pk = ANY(%(rolled)s)
    UNION ALL
    SELECT session_pk, {SLOT}, COALESCE(model, ''), {PROMPT}, 1, input_tokens, output_tokens,
           cache_creation_tokens, cache_read_tokens
    FROM (
        SELECT session_pk, COALESCE(message_key, 'ordinal:' || ordinal) AS k, min(ts) AS ts, max(model) AS model,
               max(input_tokens) AS input_tokens, max(output_tokens) AS output_tokens,
               max(cache_creation_tokens) AS cache_creation_tokens, max(cache_read_tokens) AS cache_read_tokens
        FROM messages
        WHERE session_pk = ANY(%(raw)s)
          AND (input_tokens::bigint + output_tokens + cache_creation_tokens + cache_read_tokens) > 0
        GROUP BY 1, 2
    ) per_message
)
SELECT session_pk, (slot AT TIME ZONE %(tz)s)::date AS day, model, prompt_class,
       CASE WHEN model = ANY(%(by_slot)s) THEN slot ELSE date_trunc('day', slot, 'UTC') END AS price_time,
       sum(messages)::bigint AS messages, sum(input_tokens)::bigint AS input_tokens,
       sum(output_tokens)::bigint AS output_tokens, sum(cache_creation_tokens)::bigint AS cache_creation_tokens,
       sum(cache_read_tokens)::bigint AS cache_read_tokens
FROM u GROUP BY 1, 2, 3, 4, 5"""


def session_tree(conn: psycopg.Connection, roots: list[int]) -> list[dict[str, Any]]:
    """Every session under ``roots`` (themselves included): pk, its root's pk, rollup current,
    and the models it used (read with the tree: a second look-up of a year's sessions by key
    cost ~20 ms at 1 M messages)."""
    return rows_without_jit(conn, TREE_SQL, {"pks": roots})


def models_used(tree: list[dict[str, Any]]) -> list[str]:
    """Every model the sessions of ``tree`` used, once each."""
    return sorted({m for t in tree for m in t["models"] or ()})


def usage_rows(
    conn: psycopg.Connection, tree: list[dict[str, Any]], *, tz: str, by_slot: list[str]
) -> list[dict[str, Any]]:
    rolled = [t["pk"] for t in tree if t["rolled"]]
    raw = [t["pk"] for t in tree if not t["rolled"]]
    params = {"rolled": rolled, "raw": raw, "tz": tz, "by_slot": by_slot, "pks": rolled + raw}
    return rows_without_jit(conn, USAGE_SQL, params)
