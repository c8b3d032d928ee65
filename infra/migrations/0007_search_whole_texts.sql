-- 0007: search answers are exact and stable (issue 15 item 3; docs/design-search.md).
--
-- Before: search_docs held one tsvector per message (its first 32,768 characters) or tool output
-- (its first 4,096), and substring mode was a token-prefix phrase re-checked over that prefix.
-- So "Request" in "handleRequest" or "file.py" in "myfile.py" was found while a session waited
-- for the indexer (the viewer scanned it with ILIKE) and not once it was indexed, and words past
-- the prefix vanished the same way.
--
-- Now every text is indexed whole, in chunks (table search_chunks): a text of up to 8 KB is one
-- chunk; a longer one is cut every ~6 KB at a space or line break, each chunk running ~2 KB into
-- the next, so any stretch of up to 2 KB (a phrase, a substring of up to 500 characters: the
-- query's limit) lies whole inside some chunk. Each chunk row holds
--   * tsv: the chunk's tokens (words mode), from search_text() as before;
--   * body: the chunk in lower case, with a pg_trgm index: substring mode is `lower(text)
--     contains lower(needle)` (what ILIKE does), found through trigrams and checked exactly.
-- The viewer evaluates the very same definitions on sessions the indexer has not reached yet
-- (text_chunks() and search_vector() below are shared), so an answer does not change when the
-- indexer runs.
--
-- Expand only (avcore/schema.py): search_docs and search_state stay, no longer maintained. Code
-- built for schema 6 or older still searches them: a session changed since is "pending" for it and
-- scanned, so its answers stay complete while a deploy is under way. A later contract migration
-- drops them. Every session is indexed into search_chunks by the next indexer passes; meanwhile
-- this code scans the sessions not reached yet, so search stays complete (slower) too.
--
-- Cost: the indexer does more work (chunks, lower-case copies, token pairs, a trigram index),
-- never the push.

-- pg_trgm (trigram indexes) and btree_gin (a time column inside a GIN index) are trusted
-- extensions (PostgreSQL 13+), shipped with RDS, Aurora and Debian: the owner role may create
-- them. One a database has already is kept where it is.
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE EXTENSION pg_trgm WITH SCHEMA av;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN
        CREATE EXTENSION btree_gin WITH SCHEMA av;
    END IF;
END
$do$;

-- The chunks of a text: (chunk number, first character, text). A text of up to stride + overlap
-- bytes (UTF-8) is one chunk. Otherwise chunk k starts at byte b(k) and ends at b(k+1) +
-- overlap, where b(k+1) is b(k) + stride moved forward to the next space, line break or tab (at
-- most `slack` bytes on; else to the next character), and the end likewise: consecutive chunks
-- share at least `overlap` bytes, so any stretch of up to 2,048 bytes (500 characters of any
-- script) lies whole in some chunk, and a chunk rarely starts or ends inside a word. Bytes, not
-- characters: byte offsets into a long text cost nothing, character offsets a walk from its
-- start each time (quadratic over a 2 MB tool output).
CREATE FUNCTION chunks_of(t text, stride integer DEFAULT 6144, overlap integer DEFAULT 2048,
                          slack integer DEFAULT 256)
RETURNS TABLE (chunk integer, start_char integer, body text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $fn$
DECLARE
    b bytea := convert_to(t, 'UTF8');
    n integer := octet_length(b);
    s integer := 1;       -- the chunk's first byte
    nb integer;           -- the next chunk's first byte
    e integer;
    w bytea;
BEGIN
    chunk := 0;
    start_char := 1;
    LOOP
        IF n - s + 1 <= stride + overlap THEN
            body := convert_from(substring(b FROM s), 'UTF8');
            RETURN NEXT;
            RETURN;
        END IF;
        FOR step IN 1..2 LOOP
            e := CASE step WHEN 1 THEN s + stride ELSE nb + overlap END;
            w := substring(b FROM e FOR slack);
            e := e - 1 + COALESCE(least(NULLIF(position('\x20'::bytea IN w), 0),
                                        NULLIF(position('\x0a'::bytea IN w), 0),
                                        NULLIF(position('\x09'::bytea IN w), 0)), 1);
            WHILE e <= n AND get_byte(b, e - 1) BETWEEN 128 AND 191 LOOP  -- never inside a character
                e := e + 1;
            END LOOP;
            IF step = 1 THEN
                nb := e;
            END IF;
        END LOOP;
        body := convert_from(substring(b FROM s FOR e - s), 'UTF8');
        RETURN NEXT;
        start_char := start_char + length(convert_from(substring(b FROM s FOR nb - s), 'UTF8'));
        s := nb;
        chunk := chunk + 1;
    END LOOP;
END
$fn$;

-- What the indexer and the viewer cut texts with: most texts are one chunk, without a call.
CREATE FUNCTION text_chunks(t text) RETURNS TABLE (chunk integer, start_char integer, body text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT 0, 1, t WHERE octet_length(t) <= 6144 + 2048
UNION ALL
SELECT * FROM chunks_of(t) WHERE octet_length(t) > 6144 + 2048
$fn$;

-- The tokens of one chunk, as words mode matches them (0002's normalisation, config 'simple').
CREATE FUNCTION search_vector(chunk text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $fn$
SELECT to_tsvector('simple'::regconfig, search_text(chunk))
$fn$;

-- What the index looks a chunk up by: its tokens, plus every pair of adjacent tokens as one more
-- lexeme, ' first second' (no position; the leading space keeps pairs apart from tokens, which
-- never hold a space). A two-word phrase is then one lookup that yields exactly its matches,
-- and a longer one the chunks holding all its pairs, instead of every chunk holding its words,
-- each read to compare positions: for two common words ten to twenty times fewer rows read
-- (docs/design-search.md). Only the index holds the pairs (an expression index), not the row.
CREATE FUNCTION search_keys(v tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $fn$
WITH t AS (SELECT u.lexeme, p FROM unnest(v) u CROSS JOIN unnest(u.positions) p)
SELECT v || array_to_tsvector(ARRAY(
    SELECT ' ' || a.lexeme || ' ' || b.lexeme FROM t a JOIN t b ON b.p = a.p + 1
    WHERE octet_length(a.lexeme) + octet_length(b.lexeme) < 2038))   -- a lexeme's limit: 2,047 bytes
$fn$;

-- One row per chunk of a searchable text: a message (call_index -1) or a tool output.
CREATE TABLE search_chunks (
    session_pk   bigint NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    ordinal      integer NOT NULL,
    call_index   integer NOT NULL,
    chunk        integer NOT NULL,
    start_char   integer NOT NULL,     -- where the chunk starts in the text (1-based)
    ts           timestamptz,
    hour         integer,              -- ts in whole hours since 1970 (UTC): what the indexes hold
    tsv          tsvector NOT NULL,
    body         text NOT NULL,        -- lower(chunk)
    PRIMARY KEY (session_pk, ordinal, call_index, chunk)
);

-- Which version (sessions.change_seq) of each session search_chunks holds.
CREATE TABLE search_chunks_state (
    session_pk   bigint PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    indexed_seq  bigint NOT NULL
);
-- A phrase or substring check reads the candidate's tsv or body: kept in the row (compressed
-- with lz4 when the row is large, ~2x faster to read back than pglz), not in the TOAST table,
-- so a check is usually one page read, not an index lookup and several chunks. A chunk is at most
-- ~8.4 KB, so its row nearly always fits a page once compressed.
ALTER TABLE search_chunks ALTER COLUMN tsv SET COMPRESSION lz4, ALTER COLUMN tsv SET STORAGE MAIN,
    ALTER COLUMN body SET COMPRESSION lz4, ALTER COLUMN body SET STORAGE MAIN;
-- Both indexes hold the hour too (btree_gin), so "matches of these words, or this substring,
-- from this hour on" is one index scan that yields only those rows: search reads the newest
-- matches a range at a time without visiting older ones (docs/design-search.md). The hour, not
-- the time: a range is then a few hundred index entries, each with its list of rows, instead of
-- one entry per row (~10x cheaper to scan for a range of 100,000 rows). A lookup by these keys
-- never re-reads them from the row (no phrase or weight in the query: the index answers
-- exactly), so search_keys() runs only when a row is written.
CREATE INDEX search_chunks_keys ON search_chunks USING gin (hour, search_keys(tsv));
DO $do$
BEGIN
    EXECUTE format('CREATE INDEX search_chunks_trgm ON search_chunks USING gin (hour, body %I.gin_trgm_ops)',
                   (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                    WHERE e.extname = 'pg_trgm'));
END
$do$;

-- The chunks of one session's texts, recording the version p_seq (read before its rows were).
CREATE FUNCTION index_session_chunks(p_pk bigint, p_seq bigint) RETURNS void
LANGUAGE sql AS $fn$
DELETE FROM search_chunks WHERE session_pk = p_pk;
INSERT INTO search_chunks (session_pk, ordinal, call_index, chunk, start_char, ts, hour, tsv, body)
SELECT d.session_pk, d.ordinal, d.call_index, c.chunk, c.start_char, d.ts,
       floor(extract(epoch FROM d.ts) / 3600)::integer, search_vector(c.body), lower(c.body)
FROM (
    SELECT m.session_pk, m.ordinal, -1 AS call_index, m.ts, m.content AS t
    FROM messages m WHERE m.session_pk = p_pk AND NOT m.is_system
    UNION ALL
    SELECT t.session_pk, t.message_ordinal, t.call_index, m.ts, t.result_content
    FROM tool_calls t JOIN messages m ON m.session_pk = t.session_pk AND m.ordinal = t.message_ordinal
    WHERE t.session_pk = p_pk AND t.result_content IS NOT NULL AND t.result_content <> ''
) d CROSS JOIN LATERAL text_chunks(d.t) c;
INSERT INTO search_chunks_state (session_pk, indexed_seq) VALUES (p_pk, p_seq)
ON CONFLICT (session_pk) DO UPDATE SET indexed_seq = EXCLUDED.indexed_seq;
$fn$;

-- 0005's pass, now keeping search_chunks (and the rollups) current instead of search_docs.
CREATE OR REPLACE FUNCTION index_pass(max_sessions integer DEFAULT 100, OUT indexed integer, OUT failed integer)
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
        FROM sessions s LEFT JOIN search_chunks_state st ON st.session_pk = s.id
        LEFT JOIN session_rollup ro ON ro.session_pk = s.id
        LEFT JOIN index_failures f ON f.session_pk = s.id
        WHERE (st.session_pk IS NULL OR st.indexed_seq < s.change_seq
               OR ro.session_pk IS NULL OR ro.rolled_seq < s.change_seq)
          AND (f.session_pk IS NULL OR f.failed_seq < s.change_seq)
        ORDER BY s.change_seq LIMIT max_sessions
    LOOP
        BEGIN
            IF r.search_stale THEN
                PERFORM index_session_chunks(r.id, r.change_seq);
            END IF;
            IF r.rollup_stale THEN
                PERFORM rollup_session(r.id, r.change_seq);
            END IF;
            DELETE FROM index_failures WHERE session_pk = r.id;
            indexed := indexed + 1;
        EXCEPTION WHEN OTHERS THEN
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

GRANT SELECT, INSERT, UPDATE, DELETE ON search_chunks, search_chunks_state TO av_ingest;
GRANT SELECT ON search_chunks, search_chunks_state TO av_viewer;
REVOKE EXECUTE ON FUNCTION index_session_chunks(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION index_session_chunks(bigint, bigint) TO av_ingest;
-- The viewer evaluates the same definitions on sessions not indexed yet.
GRANT EXECUTE ON FUNCTION chunks_of(text, integer, integer, integer), text_chunks(text), search_vector(text),
    search_keys(tsvector) TO av_viewer, av_ingest;
