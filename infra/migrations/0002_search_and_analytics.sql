-- 0002: global search and analytics for the viewer (docs/design-search.md).
-- Runs as the owner role inside schema "av". The ingest writer's COPY column lists and
-- its write cost are unchanged: nothing here runs when messages are written.
--
-- Measured (bench/viewer_bench.py): a tsvector column + GIN index computed while
-- COPYing messages ran at 3-10 % of the speed of the COPY alone. So search is
-- indexed *after* the write, in batches, by refresh_search(), into its own table.
-- Sessions written since their last indexing are "pending"; the viewer searches
-- them by a bounded ILIKE scan of just those sessions, so results are complete
-- even before the indexer has run.

-- The text the search index sees. Code and CJK need more token boundaries than the
-- default parser gives, so text is normalised before it is parsed:
--   * ASCII punctuation becomes a space: paths and identifiers split into their parts
--     ("/src/foo_bar.py" -> "src foo bar py");
--   * every CJK character (kana, han, hangul) becomes its own token, so any CJK
--     substring is a phrase of single characters.
-- The same function turns a query into tokens, so query and document always agree.
-- Nested replace() is used because it is ~8x faster than translate() or a regex
-- here (bench/viewer_bench.py); the CJK regex only runs on text with multibyte characters.
CREATE FUNCTION search_text(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $fn$
  SELECT CASE WHEN octet_length(x) <> length(x)
    THEN regexp_replace(x, '([\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\u3040-\u30ff])', ' \1 ', 'g')
    ELSE x END
  FROM (SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(t, '/', ' '), '.', ' '), '_', ' '), '-', ' '), ':', ' '), '\', ' '), '=', ' '), '(', ' '), ')', ' '), '[', ' '), ']', ' '), '{', ' '), '}', ' '), '<', ' '), '>', ' '), ',', ' '), ';', ' '), '''', ' '), '"', ' '), '`', ' '), '|', ' '), '@', ' '), '#', ' '), '$', ' '), '%', ' '), '&', ' '), '*', ' '), '+', ' '), '!', ' '), '?', ' '), '~', ' '), '^', ' ')) AS r(x)
$fn$;

-- One row per searchable text: a message (call_index -1) or a tool output.
-- Message text is indexed in its first 32,768 characters, tool output in its first
-- 4,096: this bounds the cost of megabyte outputs and keeps to_tsvector far below
-- its 1 MB limit ("string is too long for tsvector" aborts a whole statement). The
-- rest stays readable, and the in-session search scans all of it.
CREATE TABLE search_docs (
    session_pk   bigint NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    ordinal      integer NOT NULL,
    call_index   integer NOT NULL,
    ts           timestamptz,
    tsv          tsvector NOT NULL,
    PRIMARY KEY (session_pk, ordinal, call_index)
);
CREATE INDEX search_docs_tsv ON search_docs USING gin (tsv);
-- Newest-first search for common words walks this index and stops after one page.
CREATE INDEX search_docs_ts ON search_docs (ts DESC NULLS LAST);

-- Which version (sessions.change_seq) of each session search_docs holds.
CREATE TABLE search_state (
    session_pk   bigint PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    indexed_seq  bigint NOT NULL
);

-- Index up to max_sessions sessions whose change_seq moved since they were indexed,
-- oldest change first; returns how many were indexed. Safe to call from a scheduler
-- or after each push: one indexer at a time (advisory lock), no lock on sessions, and
-- a session changed while it is being indexed is simply indexed again next time
-- (the change_seq recorded is the one read before its rows were read).
CREATE FUNCTION refresh_search(max_sessions integer DEFAULT 100) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    done integer := 0;
    r record;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('av.refresh_search')) THEN
        RETURN 0;
    END IF;
    FOR r IN
        SELECT s.id, s.change_seq FROM sessions s LEFT JOIN search_state st ON st.session_pk = s.id
        WHERE st.session_pk IS NULL OR st.indexed_seq < s.change_seq
        ORDER BY s.change_seq LIMIT max_sessions
    LOOP
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
        done := done + 1;
    END LOOP;
    RETURN done;
END
$fn$;

-- Session filters used by the list, the sidebar lists and analytics.
CREATE INDEX sessions_machine ON sessions (machine_id, last_activity DESC) WHERE deleted_at IS NULL;
CREATE INDEX sessions_started ON sessions ((COALESCE(started_at, created_at))) WHERE deleted_at IS NULL;

-- The writer (or a scheduled job with its role) runs the indexer; the viewer reads.
GRANT SELECT, INSERT, UPDATE, DELETE ON search_docs, search_state TO av_ingest;
GRANT SELECT ON search_docs, search_state TO av_viewer;
REVOKE EXECUTE ON FUNCTION refresh_search(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refresh_search(integer) TO av_ingest;
