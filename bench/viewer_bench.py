"""Viewer benchmark: p50/p95 of every read path on a generated database, plus the
write cost of the search index, as ratios measured in one run.

    .venv/bin/python bench/viewer_bench.py                       # 1,000 sessions / 100,000 messages
    .venv/bin/python bench/viewer_bench.py --sessions 10000 --messages 1000000

Starts its own throwaway cluster (tests/pg.py), loads data with COPY (bench/viewer_data.py),
then times the real viewer app end to end (FastAPI TestClient, bearer auth, JSON encoding).
The search baseline is agentsview's PG search: ``content ILIKE '%term%' ORDER BY timestamp
DESC LIMIT 50`` with no usable index (agentsview's schema has none on messages).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.viewer_data import RARE, load, rows_for_write_test  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered) + 0.5) - 1))]


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def write_cost(conn: psycopg.Connection, n: int) -> dict[str, float]:
    """COPY the same n message rows into (a) PK + lz4 only (what a push writes with migration 0002:
    search is indexed later), (b) the same plus a generated tsvector over the bounded, normalised
    text with its GIN index (indexing at write time), (c) a naive full-content GIN expression index."""
    rows = list(rows_for_write_test(n))
    conn.execute(
        "CREATE TABLE w_plain (session_pk bigint, ordinal int, content text COMPRESSION lz4, "
        "PRIMARY KEY (session_pk, ordinal))"
    )
    conn.execute(
        "CREATE TABLE w_search (session_pk bigint, ordinal int, content text COMPRESSION lz4, "
        "search_tsv tsvector GENERATED ALWAYS AS "
        "(to_tsvector('simple'::regconfig, search_text(left(content, 32768)))) STORED, "
        "PRIMARY KEY (session_pk, ordinal))"
    )
    conn.execute("CREATE INDEX ON w_search USING gin (search_tsv)")
    conn.execute(
        "CREATE TABLE w_naive (session_pk bigint, ordinal int, content text COMPRESSION lz4, "
        "PRIMARY KEY (session_pk, ordinal))"
    )
    conn.execute("CREATE INDEX ON w_naive USING gin (to_tsvector('simple', left(content, 100000)))")
    result = {}
    for table in ("w_plain", "w_search", "w_naive"):
        t = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY {table} (session_pk, ordinal, content) FROM STDIN") as copy,
        ):
            for i, text in rows:
                copy.write_row((i // 100, i % 100, text))
        result[table] = n / (time.perf_counter() - t)
        conn.execute(f"DROP TABLE {table}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--write-rows", type=int, default=30_000)
    args = ap.parse_args()

    from avcore.settings import ViewerSettings
    from infra.credentials import add_viewer
    from tests.pg import create_database, prepare_template, start_server
    from viewer_fn.app import create_app

    with start_server() as server:
        prepare_template(server)
        db = create_database(server)
        with db.admin() as conn:
            conn.execute("SET statement_timeout = 0")
            print(f"write cost, {args.write_rows:,} message rows (rows/s):", flush=True)
            wc = write_cost(conn, args.write_rows)
            for k, v in wc.items():
                print(f"  {k:9} {v:10,.0f}  {v / wc['w_plain']:6.1%} of PK+lz4")
            t = time.perf_counter()
            with db.admin() as tools_conn:
                counts = load(conn, tools_conn, sessions=args.sessions, messages=args.messages)
            load_s = time.perf_counter() - t
            conn.execute("VACUUM ANALYZE")
            # The indexer, as a scheduler would run it: batches of 200 sessions until none is pending
            # (search documents and, since migration 0004, the analytics rollups).
            t = time.perf_counter()
            while conn.execute("SELECT refresh_search(200)").fetchone()[0]:
                pass
            index_s = time.perf_counter() - t
            docs = conn.execute("SELECT count(*) FROM search_docs").fetchone()[0]
            conn.execute("VACUUM ANALYZE")
            size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
            idx = conn.execute(
                "SELECT pg_size_pretty(pg_total_relation_size('search_docs')), "
                "pg_size_pretty(pg_relation_size('search_docs_tsv'))"
            ).fetchone()
            rollup = conn.execute(
                "SELECT (SELECT count(*) FROM session_rollup), (SELECT count(*) FROM rollup_message_slots), "
                "(SELECT count(*) FROM rollup_token_slots), pg_size_pretty(pg_total_relation_size('session_rollup') "
                "+ pg_total_relation_size('rollup_message_slots') + pg_total_relation_size('rollup_token_slots') "
                "+ pg_total_relation_size('rollup_tool_categories'))"
            ).fetchone()
            viewer = add_viewer(conn, name="bench")
            big = [
                r[0]
                for r in conn.execute(
                    "SELECT m.name || ':' || s.session_id FROM sessions s JOIN machines m ON m.id = s.machine_id "
                    "ORDER BY message_count DESC LIMIT 20"
                )
            ]
            any_ids = [
                r[0]
                for r in conn.execute(
                    "SELECT m.name || ':' || s.session_id FROM sessions s JOIN machines m ON m.id = s.machine_id "
                    "ORDER BY random() LIMIT 50"
                )
            ]
        print(
            f"loaded {counts} by COPY in {load_s:.0f} s; refresh_search indexed {docs:,} documents in "
            f"{index_s:.0f} s ({docs / index_s:,.0f} docs/s); database {size}; search_docs {idx[0]} "
            f"(GIN {idx[1]}); analytics rollups (same pass): {rollup[0]:,} sessions, {rollup[1]:,} message "
            f"slots, {rollup[2]:,} token slots, {rollup[3]}",
            flush=True,
        )

        from fastapi.testclient import TestClient

        app = create_app(
            ViewerSettings(
                database_url=db.viewer_dsn,
                session_secret="bench-" + "x" * 40,
                environment="local",
                db_statement_timeout_ms=120_000,
            )
        )
        client = TestClient(app, base_url="https://testserver")
        auth = {"Authorization": f"Bearer {viewer.token}"}

        def get(path: str, **params: object) -> None:
            r = client.get(path, params=params, headers=auth)
            assert r.status_code == 200, (path, params, r.text[:300])

        from datetime import date, timedelta

        year_ago = (date.today() - timedelta(days=365)).isoformat()
        rng = random.Random(3)
        words = ["function", "request", "session", "deploy", "zqabcdef"] + rng.sample(RARE, 5)
        phrases = [
            '"router dispatch"',
            '"handle request"',
            '"return self"',
            '"created at"',
            '"session message"',
        ]
        subs = ["handle_req", "Service.java", "索引", "SessionList.svel", "pathlib import"]
        cases = {
            "list": lambda i: get("/api/v1/sessions", limit=50),
            "list, filtered": lambda i: get(
                "/api/v1/sessions", limit=50, project=f"project-{i % 40}", agent="claude", min_messages=10
            ),
            "list, machine": lambda i: get("/api/v1/sessions", limit=50, machine="m1"),
            "detail": lambda i: get(f"/api/v1/sessions/{any_ids[i % len(any_ids)]}"),
            "messages, 500": lambda i: get(f"/api/v1/sessions/{big[i % len(big)]}/messages", limit=500),
            "search word": lambda i: get("/api/v1/search", q=words[i % len(words)]),
            "search word, recent": lambda i: get("/api/v1/search", q=words[i % len(words)], sort="recent"),
            "search phrase": lambda i: get("/api/v1/search", q=phrases[i % len(phrases)]),
            "search substring": lambda i: get("/api/v1/search", q=subs[i % len(subs)], mode="substring"),
        }
        for ep in (
            "summary",
            "activity",
            "heatmap",
            "projects",
            "hour-of-week",
            "sessions",
            "velocity",
            "tools",
            "top-sessions",
            "tokens",
        ):
            cases[f"analytics {ep}"] = lambda i, ep=ep: get(f"/api/v1/analytics/{ep}")
            cases[f"analytics {ep}, 1 year"] = lambda i, ep=ep: get(
                f"/api/v1/analytics/{ep}", **{"from": year_ago}
            )
        print(f"\n{'endpoint':34} {'p50 ms':>9} {'p95 ms':>9}", flush=True)
        results = {}
        for name, fn in cases.items():
            fn(0)  # warm
            ms = timed(fn, args.runs)
            results[name] = (statistics.median(ms), pct(ms, 0.95))
            print(f"{name:34} {results[name][0]:9.1f} {results[name][1]:9.1f}", flush=True)

        # agentsview's method on the same database: no usable index (ts + 0 keeps it off messages_ts).
        ilike_sql = (
            "SELECT session_pk, ordinal FROM messages WHERE content ILIKE %s ESCAPE '\\' "
            "ORDER BY ts + interval '0' DESC NULLS LAST LIMIT 50"
        )
        terms = [w for w in words] + [p.strip('"') for p in phrases] + subs
        ilike_runs = max(5, args.runs // 4)
        with psycopg.connect(db.viewer_dsn, autocommit=True) as vc:
            vc.execute("SET statement_timeout = 0")
            ilike = timed(
                lambda i: vc.execute(ilike_sql, (f"%{terms[i % len(terms)]}%",)).fetchall(), ilike_runs
            )
        ours = [x for k in ("search word", "search phrase", "search substring") for x in [results[k]]]
        our_p50 = statistics.median([r[0] for r in ours])
        our_p95 = max(r[1] for r in ours)
        print(
            f"\nagentsview ILIKE (same queries, {ilike_runs} runs): p50 {statistics.median(ilike):.0f} ms, "
            f"p95 {pct(ilike, 0.95):.0f} ms"
        )
        print(
            f"search vs ILIKE: p50 {statistics.median(ilike) / our_p50:.0f}x faster, "
            f"p95 {pct(ilike, 0.95) / our_p95:.0f}x faster"
        )
        app.state.db.close()


if __name__ == "__main__":
    main()
