-- 0006: token rollups split by prompt size, so cost can be priced exactly (docs/api.md, "Cost").
--
-- Providers price some requests by their size: all of a request's tokens cost more once its
-- prompt (input + cache writes + cache reads) passes a threshold (Claude's and Gemini's long
-- context past 200k, and others; genai-prices' TieredPrices). A sum of tokens cannot say which
-- side of a threshold each request was on, so each 15-minute slot's tokens are now also split
-- by prompt_class: how many of the thresholds below the request's prompt exceeds. Every request
-- of one class is on the same side of every threshold, so pricing a class's sums is exact.
-- The thresholds are every tier start in the price table av-cloud ships (a test checks that
-- the table has no other); a price table with a new one needs a migration like this one.
--
-- Older code keeps working: it sums token slots per day and model, whatever their class.

CREATE FUNCTION prompt_class(prompt_tokens bigint) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT count(*)::smallint
FROM unnest('{32000,100000,128000,199999,200000,256000,272000,512000,524288}'::bigint[]) AS t(threshold)
WHERE prompt_tokens > threshold
$fn$;

ALTER TABLE rollup_token_slots ADD COLUMN prompt_class smallint NOT NULL DEFAULT 0;

-- 0005's rollup, with token slots split by prompt class.
CREATE OR REPLACE FUNCTION rollup_session(p_pk bigint, p_seq bigint) RETURNS void
LANGUAGE sql AS $fn$
DELETE FROM rollup_message_slots WHERE session_pk = p_pk;
DELETE FROM rollup_token_slots WHERE session_pk = p_pk;
DELETE FROM rollup_tool_categories WHERE session_pk = p_pk;
INSERT INTO rollup_message_slots (session_pk, slot, messages)
SELECT p_pk, date_bin('15 minutes', ts, timestamptz '2000-01-01 00:00:00+00'), count(*)
FROM messages WHERE session_pk = p_pk AND ts IS NOT NULL GROUP BY 2;
INSERT INTO rollup_token_slots (session_pk, slot, model, prompt_class, messages, input_tokens, output_tokens,
                                cache_creation_tokens, cache_read_tokens)
SELECT p_pk, date_bin('15 minutes', ts, timestamptz '2000-01-01 00:00:00+00'), COALESCE(model, ''),
       prompt_class(input_tokens::bigint + cache_creation_tokens + cache_read_tokens), count(*),
       sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens)
FROM (
    SELECT COALESCE(message_key, 'ordinal:' || ordinal) AS k, min(ts) AS ts, max(model) AS model,
           max(input_tokens) AS input_tokens, max(output_tokens) AS output_tokens,
           max(cache_creation_tokens) AS cache_creation_tokens, max(cache_read_tokens) AS cache_read_tokens
    FROM messages
    WHERE session_pk = p_pk
      AND (input_tokens::bigint + output_tokens + cache_creation_tokens + cache_read_tokens) > 0
    GROUP BY 1
) per_message GROUP BY 2, 3, 4;
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

-- The token slots already rolled up, split the same way (each session from its messages as
-- they are now; a session changed since its rollup stays stale and is rolled up again).
DELETE FROM rollup_token_slots;
INSERT INTO rollup_token_slots (session_pk, slot, model, prompt_class, messages, input_tokens, output_tokens,
                                cache_creation_tokens, cache_read_tokens)
SELECT session_pk, date_bin('15 minutes', ts, timestamptz '2000-01-01 00:00:00+00'), COALESCE(model, ''),
       prompt_class(input_tokens::bigint + cache_creation_tokens + cache_read_tokens), count(*),
       sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens)
FROM (
    SELECT m.session_pk, COALESCE(m.message_key, 'ordinal:' || m.ordinal) AS k, min(m.ts) AS ts,
           max(m.model) AS model, max(m.input_tokens) AS input_tokens, max(m.output_tokens) AS output_tokens,
           max(m.cache_creation_tokens) AS cache_creation_tokens, max(m.cache_read_tokens) AS cache_read_tokens
    FROM messages m JOIN session_rollup ro ON ro.session_pk = m.session_pk
    WHERE (m.input_tokens::bigint + m.output_tokens + m.cache_creation_tokens + m.cache_read_tokens) > 0
    GROUP BY 1, 2
) per_message GROUP BY 1, 2, 3, 4;

GRANT EXECUTE ON FUNCTION prompt_class(bigint) TO av_ingest, av_viewer;
