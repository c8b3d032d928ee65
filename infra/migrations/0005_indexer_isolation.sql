-- 0005: one session can no longer stop the indexer (issue 11 item 1; docs/design-search.md,
-- "When a session cannot be indexed").
--
-- Before: two token counts of one message, each within the accepted range (0 .. 2^31-1),
-- were added as 32-bit integers in rollup_session(); their sum overflowed ("integer out of
-- range"), the whole indexer pass rolled back, and every later pass failed on the same
-- session first, so nothing new was indexed or rolled up again.
--
-- Now:
--   * every addition of stored counts is done in 64 bits (rollup_session below; the viewer's
--     raw-row queries do the same);
--   * the indexer works on each session in its own subtransaction: a session that fails is
--     recorded in index_failures (with the version that failed), skipped by later passes
--     until it changes again, and reported by the indexer, /v1/status and the viewer's
--     /sync/status. The pass goes on with the other sessions.
-- A session that failed stays "pending" for the viewer: search scans its rows and analytics
-- computes it from raw rows, so it is still found and counted.

-- Search documents for one session (the body of 0004's refresh_search, unchanged), so the
-- loop below can run it per session and later migrations can change it alone.
CREATE FUNCTION index_session_search(p_pk bigint, p_seq bigint) RETURNS void
LANGUAGE sql AS $fn$
DELETE FROM search_docs WHERE session_pk = p_pk;
INSERT INTO search_docs (session_pk, ordinal, call_index, ts, tsv)
SELECT m.session_pk, m.ordinal, -1, m.ts,
       to_tsvector('simple'::regconfig, search_text(left(m.content, 32768)))
FROM messages m WHERE m.session_pk = p_pk AND NOT m.is_system
UNION ALL
SELECT t.session_pk, t.message_ordinal, t.call_index, m.ts,
       to_tsvector('simple'::regconfig, search_text(left(t.result_content, 4096)))
FROM tool_calls t JOIN messages m ON m.session_pk = t.session_pk AND m.ordinal = t.message_ordinal
WHERE t.session_pk = p_pk AND t.result_content IS NOT NULL AND t.result_content <> '';
INSERT INTO search_state (session_pk, indexed_seq) VALUES (p_pk, p_seq)
ON CONFLICT (session_pk) DO UPDATE SET indexed_seq = EXCLUDED.indexed_seq;
$fn$;

-- 0004's rollup with the token test summed in 64 bits (the only 32-bit addition in it).
CREATE OR REPLACE FUNCTION rollup_session(p_pk bigint, p_seq bigint) RETURNS void
LANGUAGE sql AS $fn$
DELETE FROM rollup_message_slots WHERE session_pk = p_pk;
DELETE FROM rollup_token_slots WHERE session_pk = p_pk;
DELETE FROM rollup_tool_categories WHERE session_pk = p_pk;
INSERT INTO rollup_message_slots (session_pk, slot, messages)
SELECT p_pk, date_bin('15 minutes', ts, timestamptz '2000-01-01 00:00:00+00'), count(*)
FROM messages WHERE session_pk = p_pk AND ts IS NOT NULL GROUP BY 2;
INSERT INTO rollup_token_slots (session_pk, slot, model, messages, input_tokens, output_tokens,
                                cache_creation_tokens, cache_read_tokens)
SELECT p_pk, date_bin('15 minutes', ts, timestamptz '2000-01-01 00:00:00+00'), COALESCE(model, ''), count(*),
       sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens)
FROM (
    SELECT COALESCE(message_key, 'ordinal:' || ordinal) AS k, min(ts) AS ts, max(model) AS model,
           max(input_tokens) AS input_tokens, max(output_tokens) AS output_tokens,
           max(cache_creation_tokens) AS cache_creation_tokens, max(cache_read_tokens) AS cache_read_tokens
    FROM messages
    WHERE session_pk = p_pk
      AND (input_tokens::bigint + output_tokens + cache_creation_tokens + cache_read_tokens) > 0
    GROUP BY 1
) per_message GROUP BY 2, 3;
INSERT INTO rollup_tool_categories (session_pk, category, calls)
SELECT p_pk, category, count(*) FROM tool_calls WHERE session_pk = p_pk GROUP BY 2;
INSERT INTO session_rollup AS r (session_pk, rolled_seq, assistant_messages, thinking_messages, tool_use_messages,
                                 human_messages, velocity_messages, velocity_chars, active_seconds, turn_gaps,
                                 first_response)
SELECT p_pk, p_seq, c.assistant_messages, c.thinking_messages, c.tool_use_messages, c.human_messages,
       v.messages, v.chars, v.active_seconds, v.turn_gaps, v.first_response
FROM (
    SELECT count(*) FILTER (WHERE role = 'assistant') AS assistant_messages,
           count(*) FILTER (WHERE has_thinking) AS thinking_messages,
           count(*) FILTER (WHERE role = 'assistant' AND has_tool_use) AS tool_use_messages,
           count(*) FILTER (WHERE role = 'user' AND NOT is_system) AS human_messages
    FROM messages WHERE session_pk = p_pk
) c CROSS JOIN (
    SELECT count(*) AS messages, COALESCE(sum(content_length), 0) AS chars,
           COALESCE(sum(gap) FILTER (WHERE gap >= 0 AND gap <= 300), 0) AS active_seconds,
           COALESCE(array_agg(gap::float8) FILTER (WHERE prev_role = 'user' AND role = 'assistant' AND gap >= 0
                                                         AND gap <= 1800), '{}') AS turn_gaps,
           extract(epoch FROM min(ts) FILTER (WHERE role = 'assistant') - min(ts) FILTER (WHERE role = 'user'))
               AS first_response
    FROM (
        SELECT role, ts, content_length,
               extract(epoch FROM ts - lag(ts) OVER w) AS gap, lag(role) OVER w AS prev_role
        FROM messages WHERE session_pk = p_pk AND NOT is_system
        WINDOW w AS (ORDER BY ordinal)
    ) ordered
) v
ON CONFLICT (session_pk) DO UPDATE SET
    rolled_seq = EXCLUDED.rolled_seq, assistant_messages = EXCLUDED.assistant_messages,
    thinking_messages = EXCLUDED.thinking_messages, tool_use_messages = EXCLUDED.tool_use_messages,
    human_messages = EXCLUDED.human_messages, velocity_messages = EXCLUDED.velocity_messages,
    velocity_chars = EXCLUDED.velocity_chars, active_seconds = EXCLUDED.active_seconds,
    turn_gaps = EXCLUDED.turn_gaps, first_response = EXCLUDED.first_response;
$fn$;

-- Sessions the indexer could not index, at the version (change_seq) that failed. A row is
-- removed when the session is indexed; a session that changes again is tried again.
CREATE TABLE index_failures (
    session_pk  bigint PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    failed_seq  bigint NOT NULL,       -- sessions.change_seq of the version that failed
    sqlstate    text NOT NULL,
    error       text NOT NULL,         -- the database's message, cut to 500 characters
    failed_at   timestamptz NOT NULL DEFAULT now()
);

-- One indexer pass over up to max_sessions stale sessions, oldest change first: each one's
-- search documents and rollup are rebuilt as needed in a subtransaction of its own. Returns
-- how many were indexed and how many failed (and were recorded, and skipped from now on).
CREATE FUNCTION index_pass(max_sessions integer DEFAULT 100, OUT indexed integer, OUT failed integer)
LANGUAGE plpgsql AS $fn$
DECLARE
    r record;
    state text;
    message text;
BEGIN
    indexed := 0;
    failed := 0;
    IF NOT pg_try_advisory_xact_lock(hashtext('av.refresh_search')) THEN
        RETURN;
    END IF;
    FOR r IN
        SELECT s.id, s.change_seq, (st.session_pk IS NULL OR st.indexed_seq < s.change_seq) AS search_stale,
               (ro.session_pk IS NULL OR ro.rolled_seq < s.change_seq) AS rollup_stale
        FROM sessions s LEFT JOIN search_state st ON st.session_pk = s.id
        LEFT JOIN session_rollup ro ON ro.session_pk = s.id
        LEFT JOIN index_failures f ON f.session_pk = s.id
        WHERE (st.session_pk IS NULL OR st.indexed_seq < s.change_seq
               OR ro.session_pk IS NULL OR ro.rolled_seq < s.change_seq)
          AND (f.session_pk IS NULL OR f.failed_seq < s.change_seq)
        ORDER BY s.change_seq LIMIT max_sessions
    LOOP
        BEGIN
            IF r.search_stale THEN
                PERFORM index_session_search(r.id, r.change_seq);
            END IF;
            IF r.rollup_stale THEN
                PERFORM rollup_session(r.id, r.change_seq);
            END IF;
            DELETE FROM index_failures WHERE session_pk = r.id;
            indexed := indexed + 1;
        EXCEPTION WHEN OTHERS THEN
            -- The subtransaction is rolled back: this session keeps its previous documents
            -- and rollup (stale, so the viewer reads its raw rows), the pass goes on.
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
            INSERT INTO index_failures (session_pk, failed_seq, sqlstate, error)
            VALUES (r.id, r.change_seq, state, left(message, 500))
            ON CONFLICT (session_pk) DO UPDATE SET failed_seq = EXCLUDED.failed_seq,
                sqlstate = EXCLUDED.sqlstate, error = EXCLUDED.error, failed_at = now();
            failed := failed + 1;
        END;
    END LOOP;
END
$fn$;

-- Kept for callers of 0002/0004 (scripts, the benchmark): sessions visited by one pass,
-- indexed or failed; 0 when nothing is left.
CREATE OR REPLACE FUNCTION refresh_search(max_sessions integer DEFAULT 100) RETURNS integer
LANGUAGE sql AS $fn$
SELECT indexed + failed FROM index_pass(max_sessions)
$fn$;

GRANT SELECT, INSERT, UPDATE, DELETE ON index_failures TO av_ingest;
GRANT SELECT ON index_failures TO av_viewer;
REVOKE EXECUTE ON FUNCTION index_session_search(bigint, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION index_pass(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION index_session_search(bigint, bigint) TO av_ingest;
GRANT EXECUTE ON FUNCTION index_pass(integer) TO av_ingest;
