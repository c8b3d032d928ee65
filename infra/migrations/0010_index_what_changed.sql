-- 0010 (expand): the indexer re-indexes only the messages a push rewrote (issue 15 item 5;
-- docs/design-search.md, "Re-indexing what changed").
--
-- Until now a changed session was cut and indexed again whole: a session of 5,000 messages that
-- grows by ten per push cost 5,000 messages of chunking, tokens, token pairs and trigrams on
-- every push, and a session only marked gone from its machine (no message changed) as much.
--
-- A push never edits a message in place: it deletes a suffix of the session (ordinal >= the
-- first one it replaces) with its tool calls and writes new rows (ingest_fn/store.py). So if the
-- row of the newest message indexed last time is still there, the same row (same xmin: nothing
-- rewrote it; same chain hash, which covers the message and all before it), every message up to
-- it and its tool outputs are unchanged, and their chunks stand. The state table records that row
-- per session; the next pass cuts only the messages after it. If the row is gone or rewritten, the
-- session is indexed whole, as before. Sessions indexed before this migration have no such row
-- and are indexed whole once.
--
-- search_chunks keeps its format (the viewer's queries read it unchanged). Code built for 9
-- calls index_pass(), which calls this function: it keeps working.
ALTER TABLE search_chunks_state
    ADD COLUMN through_ordinal integer,        -- the newest message when last indexed (NULL: none)
    ADD COLUMN through_xmin xid,               -- ... the transaction that wrote its row
    ADD COLUMN through_chain_hash text;        -- ... its chain hash

-- The chunks of one session's texts, recording the version p_seq (read before its rows were).
-- One statement, so what it keeps, what it writes and what it records come from one snapshot
-- (a push committing meanwhile is seen by none of them and makes the session stale again).
CREATE OR REPLACE FUNCTION index_session_chunks(p_pk bigint, p_seq bigint) RETURNS void
LANGUAGE sql AS $fn$
WITH kept AS (
    -- Messages up to this ordinal are the rows indexed last time (-1: none).
    SELECT COALESCE(max(st.through_ordinal), -1) AS ordinal
    FROM search_chunks_state st
    JOIN messages m ON m.session_pk = st.session_pk AND m.ordinal = st.through_ordinal
    WHERE st.session_pk = p_pk AND m.xmin = st.through_xmin AND m.chain_hash = st.through_chain_hash
), gone AS (
    DELETE FROM search_chunks c USING kept WHERE c.session_pk = p_pk AND c.ordinal > kept.ordinal
    RETURNING 1
), fresh AS (
    INSERT INTO search_chunks (session_pk, ordinal, call_index, chunk, start_char, ts, hour, tsv, body)
    SELECT d.session_pk, d.ordinal, d.call_index, c.chunk, c.start_char, d.ts,
           floor(extract(epoch FROM d.ts) / 3600)::integer, search_vector(c.body), lower(c.body)
    FROM (
        SELECT m.session_pk, m.ordinal, -1 AS call_index, m.ts, m.content AS t
        FROM messages m WHERE m.session_pk = p_pk AND NOT m.is_system AND m.ordinal > (SELECT ordinal FROM kept)
        UNION ALL
        SELECT t.session_pk, t.message_ordinal, t.call_index, m.ts, t.result_content
        FROM tool_calls t JOIN messages m ON m.session_pk = t.session_pk AND m.ordinal = t.message_ordinal
        WHERE t.session_pk = p_pk AND t.message_ordinal > (SELECT ordinal FROM kept)
          AND t.result_content IS NOT NULL AND t.result_content <> ''
    ) d CROSS JOIN LATERAL text_chunks(d.t) c
    -- Evaluated once before the first row: the old chunks are deleted before new ones (same keys) go in.
    WHERE (SELECT count(*) FROM gone) >= 0
    RETURNING 1
), newest AS (
    SELECT m.ordinal, m.xmin, m.chain_hash FROM messages m WHERE m.session_pk = p_pk
    ORDER BY m.ordinal DESC LIMIT 1
)
INSERT INTO search_chunks_state (session_pk, indexed_seq, through_ordinal, through_xmin, through_chain_hash)
SELECT p_pk, p_seq, n.ordinal, n.xmin, n.chain_hash FROM (SELECT count(*) FROM fresh) f LEFT JOIN newest n ON true
ON CONFLICT (session_pk) DO UPDATE SET indexed_seq = EXCLUDED.indexed_seq,
    through_ordinal = EXCLUDED.through_ordinal, through_xmin = EXCLUDED.through_xmin,
    through_chain_hash = EXCLUDED.through_chain_hash;
$fn$;
