-- 0011: times stored before ingest refused them are nulled, and counted (issue 11).
-- Ingest accepts times from 1970-01-01 to before 2100-01-01 UTC only (avprotocol/limits.py);
-- before that fix a message time such as 9999-12-31T23:59:59-01:00 was stored as year 10000,
-- and others as BC. Python cannot hold such a time, so every page showing one answered 500.
-- Each such time becomes NULL, what av-client now sends for a time outside the range (a
-- clamped time would be a made-up one). The sessions are given a new change_seq and their
-- search state is dropped, so the indexer rebuilds their search chunks and analytics roll-ups
-- whole, and pages holding them refresh.
-- How many were changed is recorded in data_repairs. Expand-only: code built for schema 10 runs.
-- Locks first, in the order everyone else takes them:
-- * the indexer's: one index pass at a time holds it (index_pass only tries it, and skips a
--   minute when it is taken), so this waits for a running pass and keeps the next ones out
--   until it commits. Without it a pass with an older snapshot could write, after the DELETE at
--   the end, index state naming the newest message as indexed, and 0010's incremental indexer
--   would then never rebuild the chunks holding the old times.
-- * the sessions to repair, in id order, before their messages: a push locks its session first,
--   then rewrites its messages; taking them the other way round could deadlock with a push.
-- Each waits at most av-admin migrate's lock timeout; then nothing is applied and it says retry.
SELECT pg_advisory_xact_lock(hashtext('av.refresh_search'));
SELECT 1 FROM sessions
WHERE id IN (
    SELECT session_pk FROM messages
    WHERE ts < timestamptz '1970-01-01 00:00:00+00' OR ts >= timestamptz '2100-01-01 00:00:00+00'
)
   OR created_at < timestamptz '1970-01-01 00:00:00+00' OR created_at >= timestamptz '2100-01-01 00:00:00+00'
   OR started_at < timestamptz '1970-01-01 00:00:00+00' OR started_at >= timestamptz '2100-01-01 00:00:00+00'
   OR ended_at < timestamptz '1970-01-01 00:00:00+00' OR ended_at >= timestamptz '2100-01-01 00:00:00+00'
ORDER BY id
FOR NO KEY UPDATE;

CREATE TABLE data_repairs (
    migration    integer NOT NULL,
    what         text NOT NULL,
    rows_changed bigint NOT NULL,
    repaired_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (migration, what)
);

CREATE TEMPORARY TABLE repaired_sessions (session_pk bigint PRIMARY KEY) ON COMMIT DROP;

WITH changed AS (
    UPDATE messages SET ts = NULL
    WHERE ts < timestamptz '1970-01-01 00:00:00+00' OR ts >= timestamptz '2100-01-01 00:00:00+00'
    RETURNING session_pk
), counted AS (
    INSERT INTO data_repairs (migration, what, rows_changed)
    SELECT 11, 'messages.ts outside 1970..2099 set to NULL', count(*) FROM changed
)
INSERT INTO repaired_sessions SELECT DISTINCT session_pk FROM changed;

WITH changed AS (
    UPDATE sessions SET
        created_at = CASE WHEN created_at < timestamptz '1970-01-01 00:00:00+00'
                            OR created_at >= timestamptz '2100-01-01 00:00:00+00' THEN NULL ELSE created_at END,
        started_at = CASE WHEN started_at < timestamptz '1970-01-01 00:00:00+00'
                            OR started_at >= timestamptz '2100-01-01 00:00:00+00' THEN NULL ELSE started_at END,
        ended_at = CASE WHEN ended_at < timestamptz '1970-01-01 00:00:00+00'
                          OR ended_at >= timestamptz '2100-01-01 00:00:00+00' THEN NULL ELSE ended_at END
    WHERE created_at < timestamptz '1970-01-01 00:00:00+00' OR created_at >= timestamptz '2100-01-01 00:00:00+00'
       OR started_at < timestamptz '1970-01-01 00:00:00+00' OR started_at >= timestamptz '2100-01-01 00:00:00+00'
       OR ended_at < timestamptz '1970-01-01 00:00:00+00' OR ended_at >= timestamptz '2100-01-01 00:00:00+00'
    RETURNING id
), counted AS (
    INSERT INTO data_repairs (migration, what, rows_changed)
    SELECT 11, 'sessions.created_at/started_at/ended_at outside 1970..2099 set to NULL', count(*) FROM changed
)
INSERT INTO repaired_sessions SELECT id FROM changed ON CONFLICT DO NOTHING;

UPDATE sessions SET change_seq = nextval('change_seq'), updated_at = now()
WHERE id IN (SELECT session_pk FROM repaired_sessions);
-- The indexer re-indexes only what a push wrote after its last indexed message (0010): these
-- sessions' earlier messages changed too, so their search chunks are rebuilt whole.
DELETE FROM search_chunks_state WHERE session_pk IN (SELECT session_pk FROM repaired_sessions);

GRANT SELECT ON data_repairs TO av_ingest, av_viewer;
