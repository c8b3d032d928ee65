-- 0004: per-session rollups of message-level analytics figures (docs/design-search.md,
-- "Analytics rollups"). Year-long analytics read every message of a year's sessions
-- (~1 M rows at 10k sessions); these tables hold, per session, what those figures need,
-- so a year is thousands of small rows instead. Like search_docs they are filled after
-- the write, by the indexer pass (refresh_search), never on the push path.
--
-- A rollup is valid for the session version it records (rolled_seq = sessions.change_seq);
-- the viewer computes any other session (new, changed, or not yet rolled up) from its raw
-- rows and merges the two, so figures are exact before the indexer has run.
--
-- Timestamps are kept in 15-minute UTC slots. Every zone in use today has an offset that is
-- a multiple of 15 minutes (India +05:30, Nepal +05:45, Chatham +12:45), and its transitions
-- fall on 15-minute UTC instants, so a slot lies in one local hour and one local day of any
-- IANA zone. The viewer checks that for each slot (local hour of its first and of its last
-- instant) and recounts from raw rows the slots where it does not hold (historic offsets).

CREATE TABLE session_rollup (
    session_pk          bigint PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    rolled_seq          bigint NOT NULL,     -- the sessions.change_seq these figures are of
    -- over all messages (queries_analytics.MESSAGE_COUNTS_SQL)
    assistant_messages  integer NOT NULL,
    thinking_messages   integer NOT NULL,
    tool_use_messages   integer NOT NULL,
    human_messages      integer NOT NULL,
    -- over non-system messages in ordinal order (queries_analytics.VELOCITY_SQL); 0 = no row
    velocity_messages   integer NOT NULL,
    velocity_chars      bigint NOT NULL,
    active_seconds      numeric NOT NULL,
    turn_gaps           float8[] NOT NULL,   -- seconds; float8 is what the viewer ranks
    first_response      numeric
);

-- Messages with a timestamp, per 15-minute UTC slot (hour-of-week).
CREATE TABLE rollup_message_slots (
    session_pk  bigint NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    slot        timestamptz NOT NULL,
    messages    integer NOT NULL,
    PRIMARY KEY (session_pk, slot)
);

-- Token usage, each API response counted once (collapsed on its message key within the
-- session, timed by its first row), per 15-minute UTC slot and model; slot NULL = undated.
CREATE TABLE rollup_token_slots (
    session_pk            bigint NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    slot                  timestamptz,
    model                 text NOT NULL,
    messages              integer NOT NULL,
    input_tokens          bigint NOT NULL,
    output_tokens         bigint NOT NULL,
    cache_creation_tokens bigint NOT NULL,
    cache_read_tokens     bigint NOT NULL
);
CREATE INDEX rollup_token_slots_session ON rollup_token_slots (session_pk);

-- Tool calls per category.
CREATE TABLE rollup_tool_categories (
    session_pk  bigint NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    category    text NOT NULL,
    calls       integer NOT NULL,
    PRIMARY KEY (session_pk, category)
);

-- Rebuild one session's rollup rows from its raw rows, recording the version p_seq
-- (read before the rows were read, as refresh_search does for search_docs).
CREATE FUNCTION rollup_session(p_pk bigint, p_seq bigint) RETURNS void
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
    WHERE session_pk = p_pk AND (input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens) > 0
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

-- The indexer pass now also rolls up: a session is visited when its search documents or its
-- rollup are older than its change_seq, and only the stale part is rebuilt (so after this
-- migration existing sessions are rolled up without being re-indexed for search).
CREATE OR REPLACE FUNCTION refresh_search(max_sessions integer DEFAULT 100) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    done integer := 0;
    r record;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('av.refresh_search')) THEN
        RETURN 0;
    END IF;
    FOR r IN
        SELECT s.id, s.change_seq, (st.session_pk IS NULL OR st.indexed_seq < s.change_seq) AS search_stale,
               (ro.session_pk IS NULL OR ro.rolled_seq < s.change_seq) AS rollup_stale
        FROM sessions s LEFT JOIN search_state st ON st.session_pk = s.id
        LEFT JOIN session_rollup ro ON ro.session_pk = s.id
        WHERE st.session_pk IS NULL OR st.indexed_seq < s.change_seq
           OR ro.session_pk IS NULL OR ro.rolled_seq < s.change_seq
        ORDER BY s.change_seq LIMIT max_sessions
    LOOP
        IF r.search_stale THEN
            DELETE FROM search_docs WHERE session_pk = r.id;
            INSERT INTO search_docs (session_pk, ordinal, call_index, ts, tsv)
            SELECT m.session_pk, m.ordinal, -1, m.ts,
                   to_tsvector('simple'::regconfig, search_text(left(m.content, 32768)))
            FROM messages m WHERE m.session_pk = r.id AND NOT m.is_system
            UNION ALL
            SELECT t.session_pk, t.message_ordinal, t.call_index, m.ts,
                   to_tsvector('simple'::regconfig, search_text(left(t.result_content, 4096)))
            FROM tool_calls t JOIN messages m ON m.session_pk = t.session_pk AND m.ordinal = t.message_ordinal
            WHERE t.session_pk = r.id AND t.result_content IS NOT NULL AND t.result_content <> '';
            INSERT INTO search_state (session_pk, indexed_seq) VALUES (r.id, r.change_seq)
            ON CONFLICT (session_pk) DO UPDATE SET indexed_seq = EXCLUDED.indexed_seq;
        END IF;
        IF r.rollup_stale THEN
            PERFORM rollup_session(r.id, r.change_seq);
        END IF;
        done := done + 1;
    END LOOP;
    RETURN done;
END
$fn$;

GRANT SELECT, INSERT, UPDATE, DELETE ON session_rollup, rollup_message_slots, rollup_token_slots,
    rollup_tool_categories TO av_ingest;
GRANT SELECT ON session_rollup, rollup_message_slots, rollup_token_slots, rollup_tool_categories TO av_viewer;
REVOKE EXECUTE ON FUNCTION rollup_session(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollup_session(bigint, bigint) TO av_ingest;
