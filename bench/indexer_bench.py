"""Indexer benchmark: how fast the indexer makes a loaded database searchable, against a plain
write of the same texts timed in the same run.

    .venv/bin/python bench/indexer_bench.py                          # 1,000 sessions / 100,000 messages
    .venv/bin/python bench/indexer_bench.py --sessions 300 --messages 30000 --db-dir /tmp/av-idx

It loads (or reuses, with ``--db-dir``: bench/bench_db.py) the viewer benchmark's data
(bench/viewer_data.py), then, ``--repeat`` times:

1. **baseline**: the texts the indexer reads (messages that are not system messages, non-empty
   tool outputs) written by one ``INSERT ... SELECT`` into a table with a primary key and lz4,
   as they are: what storing the same bytes once more costs on this machine right now;
2. **indexer**: the search index and the rollups emptied, then ``index_pass()`` in batches of
   ``ingest_fn.indexer.SESSIONS_PER_BATCH`` sessions until nothing is left, as the scheduled
   indexer runs it.

It prints texts/s and MB/s of both and the indexer's time as a multiple of the baseline's (the
figure to compare between runs and commits: it does not depend on how busy the machine is as
much as seconds do), with the load average. ``--profile`` adds where the indexer's time goes:
each step of a chunk's row computed alone over the same texts, then written into a copy of
search_chunks without indexes and with each index.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_db  # noqa: E402
from bench.viewer_bench import loadavg  # noqa: E402
from bench.viewer_data import load  # noqa: E402
from ingest_fn.indexer import SESSIONS_PER_BATCH  # noqa: E402

# The texts index_session_chunks() reads (migration 0007), for every session.
TEXTS = """
SELECT m.session_pk, m.ordinal, -1 AS call_index, m.ts, m.content AS t
FROM messages m WHERE NOT m.is_system
UNION ALL
SELECT t.session_pk, t.message_ordinal, t.call_index, m.ts, t.result_content
FROM tool_calls t JOIN messages m ON m.session_pk = t.session_pk AND m.ordinal = t.message_ordinal
WHERE t.result_content IS NOT NULL AND t.result_content <> ''"""
INDEXED = (
    "search_chunks",
    "search_chunks_state",
    "session_rollup",
    "rollup_message_slots",
    "rollup_token_slots",
    "rollup_tool_categories",
    "index_failures",
)


def baseline(conn: psycopg.Connection) -> float:
    """Seconds to write the same texts once, as they are, with a primary key."""
    conn.execute("DROP TABLE IF EXISTS bench_plain_texts")
    conn.execute(
        "CREATE TABLE bench_plain_texts (session_pk bigint, ordinal integer, call_index integer, "
        "ts timestamptz, t text COMPRESSION lz4, PRIMARY KEY (session_pk, ordinal, call_index))"
    )
    t = time.perf_counter()
    conn.execute(f"INSERT INTO bench_plain_texts {TEXTS}")  # noqa: S608 - a constant
    seconds = time.perf_counter() - t
    conn.execute("DROP TABLE bench_plain_texts")
    return seconds


def index_all(conn: psycopg.Connection) -> tuple[int, int, float]:
    """Empty the index and rollups, then index everything. Returns (sessions, failed, seconds)."""
    conn.execute(f"TRUNCATE {', '.join(INDEXED)}")
    conn.execute("CHECKPOINT")
    t, visited, failed = time.perf_counter(), 0, 0
    while True:
        row = conn.execute("SELECT indexed, failed FROM index_pass(%s)", (SESSIONS_PER_BATCH,)).fetchone()
        done, bad = (int(row[0]), int(row[1])) if row else (0, 0)
        visited, failed = visited + done, failed + bad
        if done + bad < SESSIONS_PER_BATCH:
            return visited, failed, time.perf_counter() - t


# A push of n more messages to every session, as av-client sends a growing log: new rows after the
# last ordinal (texts copied from the session's own earlier messages, so sizes stay realistic).
GROW = """
INSERT INTO messages (session_pk, ordinal, role, content, ts, model, is_system, content_length, chain_hash)
SELECT m.session_pk, last.n + m.ordinal + 1, m.role, m.content, m.ts + interval '1 day', m.model, m.is_system,
       m.content_length, 'grown-' || md5(random()::text)
FROM (SELECT session_pk, max(ordinal) AS n FROM messages GROUP BY 1) last
JOIN messages m ON m.session_pk = last.session_pk AND m.ordinal < %(n)s"""
GROW_SESSIONS = "UPDATE sessions SET change_seq = nextval('change_seq'), updated_at = now()"
UNGROW = "DELETE FROM messages WHERE chain_hash LIKE 'grown-%'"  # back to the data as loaded


def grow_and_reindex(conn: psycopg.Connection, n: int) -> tuple[int, float]:
    """Append n messages to every session, then index what changed. Returns (messages, seconds)."""
    added = conn.execute(GROW, {"n": n}).rowcount
    conn.execute(GROW_SESSIONS)
    conn.execute("ANALYZE messages")
    t = time.perf_counter()
    while True:
        row = conn.execute("SELECT indexed, failed FROM index_pass(%s)", (SESSIONS_PER_BATCH,)).fetchone()
        if not row or int(row[0]) + int(row[1]) < SESSIONS_PER_BATCH:
            return added, time.perf_counter() - t


# Each step of a chunk's row alone (each line adds one step to the previous), then the writes.
PROFILE_STEPS = {
    "read the texts": "SELECT count(*) FROM ({texts}) d",
    "cut into chunks": "SELECT count(*) FROM ({texts}) d CROSS JOIN LATERAL text_chunks(d.t) c",
    "lower(chunk)": "SELECT sum(octet_length(lower(c.body))) FROM ({texts}) d CROSS JOIN LATERAL text_chunks(d.t) c",
    "search_vector(chunk)": "SELECT sum(length(search_vector(c.body))) FROM ({texts}) d "
    "CROSS JOIN LATERAL text_chunks(d.t) c",
    "search_keys(vector)": "SELECT sum(length(search_keys(search_vector(c.body)))) FROM ({texts}) d "
    "CROSS JOIN LATERAL text_chunks(d.t) c",
}
PROFILE_INDEXES = {
    "no index": [],
    "+ keys GIN": ["CREATE INDEX ON bench_chunks USING gin (hour, search_keys(tsv))"],
    "+ trigram GIN": ["CREATE INDEX ON bench_chunks USING gin (hour, body gin_trgm_ops)"],
}
PROFILE_INSERT = """
INSERT INTO bench_chunks SELECT d.session_pk, d.ordinal, d.call_index, c.chunk, c.start_char, d.ts,
       floor(extract(epoch FROM d.ts) / 3600)::integer, search_vector(c.body), lower(c.body)
FROM ({texts}) d CROSS JOIN LATERAL text_chunks(d.t) c"""


def profile(conn: psycopg.Connection) -> None:
    print("where the time goes (each step over every text, one statement):", flush=True)
    for name, query in PROFILE_STEPS.items():
        t = time.perf_counter()
        conn.execute(query.format(texts=TEXTS))
        print(f"  {name:24} {time.perf_counter() - t:8.1f} s", flush=True)
    for name, indexes in PROFILE_INDEXES.items():
        conn.execute("DROP TABLE IF EXISTS bench_chunks")
        conn.execute("CREATE TABLE bench_chunks (LIKE search_chunks INCLUDING STORAGE INCLUDING COMPRESSION)")
        for ddl in indexes:
            conn.execute(ddl)
        t = time.perf_counter()
        conn.execute(PROFILE_INSERT.format(texts=TEXTS))
        print(f"  write rows, {name:13} {time.perf_counter() - t:8.1f} s", flush=True)
    conn.execute("DROP TABLE bench_chunks")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=1, help="baseline + indexer this many times")
    ap.add_argument("--db-dir", help="keep the loaded cluster here and reuse it (same --sessions/--messages)")
    ap.add_argument("--profile", action="store_true", help="also time each step of the indexer alone")
    ap.add_argument(
        "--grow", type=int, default=10, help="then push this many more messages to every session and re-index"
    )
    args = ap.parse_args()
    dataset = {"sessions": args.sessions, "messages": args.messages, "seed": 7}
    source = bench_db.kept(Path(args.db_dir), dataset) if args.db_dir else bench_db.throwaway()
    with source as db, db.admin() as conn:
        conn.execute("SET statement_timeout = 0")
        if not db.reused:
            t = time.perf_counter()
            with db.admin() as tools_conn:
                counts = load(conn, tools_conn, sessions=args.sessions, messages=args.messages)
            print(f"loaded {counts} by COPY in {time.perf_counter() - t:.0f} s", flush=True)
            conn.execute("VACUUM ANALYZE")
            if args.db_dir:
                bench_db.mark_loaded(Path(args.db_dir), counts)
        conn.execute(UNGROW)
        texts, mb = conn.execute(
            f"SELECT count(*), (sum(octet_length(t)) / 1e6)::float8 FROM ({TEXTS}) d"
        ).fetchone()  # type: ignore[misc] # noqa: S608
        print(f"{texts:,} texts, {mb:,.1f} MB (UTF-8); load average {loadavg()}", flush=True)
        if args.profile:
            profile(conn)
        for run in range(1, args.repeat + 1):
            conn.execute(UNGROW)
            base = baseline(conn)
            sessions, failed, seconds = index_all(conn)
            chunks = conn.execute("SELECT count(*) FROM search_chunks").fetchone()[0]  # type: ignore[index]
            print(
                f"run {run}: baseline {base:.1f} s ({texts / base:,.0f} texts/s, {mb / base:,.1f} MB/s); "
                f"indexer {seconds:.1f} s ({texts / seconds:,.0f} texts/s, {mb / seconds:,.2f} MB/s; "
                f"{sessions:,} sessions, {chunks:,} chunks, {failed} failed) = {seconds / base:.1f}x the "
                f"baseline; load average {loadavg()}",
                flush=True,
            )
            if args.grow:
                added, again = grow_and_reindex(conn, args.grow)
                print(
                    f"run {run}: {added:,} messages pushed to {sessions:,} sessions, re-indexed in {again:.1f} s "
                    f"= {again / seconds:.1%} of the full indexing; load average {loadavg()}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
