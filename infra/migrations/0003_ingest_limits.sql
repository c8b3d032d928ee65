-- 0003: rate limits for ingest_fn (docs/protocol.md, "Limits and refusals").
-- Counters live in the database, not in one Lambda container's memory, so a device
-- cannot escape its limit by landing on a fresh container. One row per key; a fixed
-- window restarts when it has passed.
CREATE UNLOGGED TABLE rate_limits (
    key           text PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL
);
-- UNLOGGED: counters are worth nothing after a crash, and skipping WAL keeps
-- the per-request write cheap.
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limits TO av_ingest;
