-- av:code-built-for >= 7
-- 0009 (contract): drop the search index of 0002-0006, which nothing has maintained since 0007
-- (docs/design-search.md, "What is indexed"; docs/deploy.md, "Upgrading").
--
-- search_docs (one tsvector per message or tool output, ~2 GB at 1 M messages), its state table
-- search_state and the function that filled both, index_session_search(), have had no writer since
-- 0007 moved search to search_chunks. Only code built for schema 6 or older searches them, hence
-- the header: such code answers 503 on this schema instead of searching a table that is gone.
-- Code built for 7 or 8 never reads search_docs; but some code built for 8 (the indexer's lag
-- metric before it was fixed) still reads search_state. So search_state becomes a view of
-- search_chunks_state, the same columns and the same meaning (which version of each session the
-- search index holds): that code now gets the right answer, and the range stays 7 and up. A later
-- contract migration (code built for 9 or later) may drop the view.
--
-- Cost: DROP TABLE unlinks the files: instant at any size, no rewrite. It takes a short exclusive
-- lock on sessions too (dropping the foreign keys' triggers), which av-admin migrate waits for at
-- most --lock-timeout (5 s).
DROP FUNCTION index_session_search(bigint, bigint);
DROP TABLE search_docs;
DROP TABLE search_state;
CREATE VIEW search_state AS SELECT session_pk, indexed_seq FROM search_chunks_state;
GRANT SELECT ON search_state TO av_ingest, av_viewer;
