-- 0006: search answers are exact and stable (issue 15 item 3; docs/design-search.md).
--
-- Before: search_docs held one tsvector per message (its first 32,768 characters) or tool output
-- (its first 4,096), and substring mode was a token-prefix phrase re-checked over that prefix.
-- So "Request" in "handleRequest" or "file.py" in "myfile.py" was found while a session waited
-- for the indexer (the viewer scanned it with ILIKE) and not once it was indexed, and words past
-- the prefix vanished the same way.
--
-- Now every text is indexed whole, in chunks: a text of up to 17,408 characters is one chunk;
-- a longer one is cut every ~16,384 characters at a space or punctuation, each chunk running
-- ~1,024 characters into the next, so any stretch of up to 1,024 characters (a phrase, a
-- substring of up to 500: the query's limit) lies whole inside some chunk. Each chunk row holds
--   * tsv: the chunk's tokens (words mode), from search_text() as before;
--   * body: the chunk in lower case, with a pg_trgm index: substring mode is `lower(text)
--     contains lower(needle)` (what ILIKE does), found through trigrams and checked exactly.
-- The viewer evaluates the very same definitions on sessions the indexer has not reached yet
-- (search_chunks() below is shared), so an answer does not change when the indexer runs.
--
-- Cost: the indexer does more work (chunks, lower-case copies, a trigram index), never the push.
-- The existing search documents are dropped: every session is indexed again by the next indexer
-- passes (the viewer scans the sessions not yet re-indexed, so search stays complete meanwhile).

-- pg_trgm is a trusted extension (PostgreSQL 13+): the owner role may create it. It is kept
-- where it is when a database already has it.
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE EXTENSION pg_trgm WITH SCHEMA av;
    END IF;
END
$do$;

-- The chunks of a text: (chunk number, first character, text). A text of up to stride +
-- overlap characters is one chunk. Otherwise chunk k starts at b(k) and ends at b(k+1) +
-- overlap, where b(k+1) is b(k) + stride moved forward to the next space or ASCII punctuation
-- (at most `slack` characters on; else cut there), and the end likewise: a chunk neither starts
-- nor ends inside a word unless a word is longer than `slack`. Consecutive chunks share at
-- least `overlap` characters.
CREATE FUNCTION search_chunks(t text, stride integer DEFAULT 16384, overlap integer DEFAULT 1024,
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
    tsv          tsvector NOT NULL,
    body         text NOT NULL,        -- lower(chunk)
    PRIMARY KEY (session_pk, ordinal, call_index, chunk)
);
-- lz4: a phrase check or a substring check decompresses the candidate's value, ~2x faster than
-- the default pglz here (bench/README.md).
ALTER TABLE search_docs ALTER COLUMN tsv SET COMPRESSION lz4;
ALTER TABLE search_docs ALTER COLUMN body SET COMPRESSION lz4;
CREATE INDEX search_docs_tsv ON search_docs USING gin (tsv);
-- Newest-first probes: a time range of this index ANDed with a GIN index (docs/design-search.md).
CREATE INDEX search_docs_ts ON search_docs (ts DESC NULLS LAST);
DO $do$
BEGIN
    EXECUTE format('CREATE INDEX search_docs_trgm ON search_docs USING gin (body %I.gin_trgm_ops)',
                   (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                    WHERE e.extname = 'pg_trgm'));
END
$do$;

-- Search documents for one session, as index_pass() (0005) calls it.
CREATE OR REPLACE FUNCTION index_session_search(p_pk bigint, p_seq bigint) RETURNS void
LANGUAGE sql AS $fn$
DELETE FROM search_docs WHERE session_pk = p_pk;
INSERT INTO search_docs (session_pk, ordinal, call_index, chunk, start_char, ts, tsv, body)
SELECT d.session_pk, d.ordinal, d.call_index, c.chunk, c.start_char, d.ts, search_vector(c.body), lower(c.body)
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
GRANT EXECUTE ON FUNCTION search_chunks(text, integer, integer, integer), search_vector(text) TO av_viewer, av_ingest;
