-- 0006: search answers are exact and stable (issue 15 item 3; docs/design-search.md).
--
-- Before: search_docs held one tsvector per message (its first 32,768 characters) or tool output
-- (its first 4,096), and substring mode was a token-prefix phrase re-checked over that prefix.
-- So "Request" in "handleRequest" or "file.py" in "myfile.py" was found while a session waited
-- for the indexer (the viewer scanned it with ILIKE) and not once it was indexed, and words past
-- the prefix vanished the same way.
--
-- Now every text is indexed whole, in chunks: a text of up to 4,608 characters is one chunk;
-- a longer one is cut every ~4,096 characters at a space or punctuation, each chunk running
-- ~512 characters into the next, so any stretch of up to 512 characters (a phrase, a substring
-- of up to 500: the query's limit) lies whole inside some chunk. Each chunk row holds
--   * tsv: the chunk's tokens (words mode), from search_text() as before;
--   * body: the chunk in lower case, with a pg_trgm index: substring mode is `lower(text)
--     contains lower(needle)` (what ILIKE does), found through trigrams and checked exactly.
-- The viewer evaluates the very same definitions on sessions the indexer has not reached yet
-- (search_chunks() below is shared), so an answer does not change when the indexer runs.
--
-- Cost: the indexer does more work (chunks, lower-case copies, a trigram index), never the push.
-- The existing search documents are dropped: every session is indexed again by the next indexer
-- passes (the viewer scans the sessions not yet re-indexed, so search stays complete meanwhile).

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

-- The chunks of a text: (chunk number, first character, text). A text of up to stride +
-- overlap characters is one chunk. Otherwise chunk k starts at b(k) and ends at b(k+1) +
-- overlap, where b(k+1) is b(k) + stride moved forward to the next space or ASCII punctuation
-- (at most `slack` characters on; else cut there), and the end likewise: a chunk neither starts
-- nor ends inside a word unless a word is longer than `slack`. Consecutive chunks share at
-- least `overlap` characters.
CREATE FUNCTION search_chunks(t text, stride integer DEFAULT 4096, overlap integer DEFAULT 512,
                              slack integer DEFAULT 256)
RETURNS TABLE (chunk integer, start_char integer, body text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $fn$
DECLARE
    n integer := length(t);
    b integer := 1;
    nb integer;
    e integer;
    k integer := 0;
BEGIN
    IF n <= stride + overlap THEN
        chunk := 0; start_char := 1; body := t;
        RETURN NEXT;
        RETURN;
    END IF;
    LOOP
        IF b + stride + overlap > n THEN
            chunk := k; start_char := b; body := substr(t, b);
            RETURN NEXT;
            RETURN;
        END IF;
        nb := b + stride;
        nb := nb + COALESCE(NULLIF(regexp_instr(substr(t, nb, slack), '[[:space:][:punct:]]'), 0) - 1, 0);
        e := nb + overlap;
        e := e + COALESCE(NULLIF(regexp_instr(substr(t, e, slack), '[[:space:][:punct:]]'), 0) - 1, 0);
        chunk := k; start_char := b; body := substr(t, b, e - b + 1);
        RETURN NEXT;
        b := nb;
        k := k + 1;
    END LOOP;
END
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

DROP TABLE search_docs;
TRUNCATE search_state;

-- One row per chunk of a searchable text: a message (call_index -1) or a tool output.
CREATE TABLE search_docs (
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
-- A phrase or substring check reads the candidate's tsv or body: kept in the row (compressed
-- with lz4 when the row is large, ~2x faster to read back than pglz), not in the TOAST table,
-- so a check is usually one page read, not an index lookup and several chunks. A chunk is at most
-- ~5,100 characters, so its row nearly always fits a page.
ALTER TABLE search_docs ALTER COLUMN tsv SET COMPRESSION lz4, ALTER COLUMN tsv SET STORAGE MAIN,
    ALTER COLUMN body SET COMPRESSION lz4, ALTER COLUMN body SET STORAGE MAIN;
-- Both indexes hold the hour too (btree_gin), so "matches of these words, or this substring,
-- from this hour on" is one index scan that yields only those rows: search reads the newest
-- matches a range at a time without visiting older ones (docs/design-search.md). The hour, not
-- the time: a range is then a few hundred index entries, each with its list of rows, instead of
-- one entry per row (~10x cheaper to scan for a range of 100,000 rows). A lookup by these keys
-- never re-reads them from the row (no phrase or weight in the query: the index answers
-- exactly), so search_keys() runs only when a row is written.
CREATE INDEX search_docs_keys ON search_docs USING gin (hour, search_keys(tsv));
DO $do$
BEGIN
    EXECUTE format('CREATE INDEX search_docs_trgm ON search_docs USING gin (hour, body %I.gin_trgm_ops)',
                   (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                    WHERE e.extname = 'pg_trgm'));
END
$do$;

-- Search documents for one session, as index_pass() (0005) calls it.
CREATE OR REPLACE FUNCTION index_session_search(p_pk bigint, p_seq bigint) RETURNS void
LANGUAGE sql AS $fn$
DELETE FROM search_docs WHERE session_pk = p_pk;
INSERT INTO search_docs (session_pk, ordinal, call_index, chunk, start_char, ts, hour, tsv, body)
SELECT d.session_pk, d.ordinal, d.call_index, c.chunk, c.start_char, d.ts,
       floor(extract(epoch FROM d.ts) / 3600)::integer, search_vector(c.body), lower(c.body)
FROM (
    SELECT m.session_pk, m.ordinal, -1 AS call_index, m.ts, m.content AS t
    FROM messages m WHERE m.session_pk = p_pk AND NOT m.is_system
    UNION ALL
    SELECT t.session_pk, t.message_ordinal, t.call_index, m.ts, t.result_content
    FROM tool_calls t JOIN messages m ON m.session_pk = t.session_pk AND m.ordinal = t.message_ordinal
    WHERE t.session_pk = p_pk AND t.result_content IS NOT NULL AND t.result_content <> ''
) d CROSS JOIN LATERAL search_chunks(d.t) c;
INSERT INTO search_state (session_pk, indexed_seq) VALUES (p_pk, p_seq)
ON CONFLICT (session_pk) DO UPDATE SET indexed_seq = EXCLUDED.indexed_seq;
$fn$;

GRANT SELECT, INSERT, UPDATE, DELETE ON search_docs TO av_ingest;
GRANT SELECT ON search_docs TO av_viewer;
-- The viewer evaluates the same definitions on sessions not indexed yet.
GRANT EXECUTE ON FUNCTION search_chunks(text, integer, integer, integer), search_vector(text), search_keys(tsvector)
    TO av_viewer, av_ingest;
