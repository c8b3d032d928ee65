"""Viewer benchmark: p50/p95 of every read path on a generated database, against the budgets,
plus the write cost of the search index, as ratios measured in one run.

    .venv/bin/python bench/viewer_bench.py                       # 1,000 sessions / 100,000 messages
    .venv/bin/python bench/viewer_bench.py --sessions 10000 --messages 1000000 \\
        --db-dir /tmp/av-bench-1m --runs 30 --repeat 3            # the three-run report at 1M

Without ``--db-dir`` it starts a throwaway cluster (tests/pg.py) and loads data with COPY
(bench/viewer_data.py). With it, the cluster is kept in that directory and reused by the next
run with the same ``--sessions``/``--messages`` (new migrations are applied and the indexer
catches up first), so loading and indexing a million messages is paid once.

Each of the ``--repeat`` runs builds a fresh app (new connection pool), warms every case once,
then times it ``--runs`` times end to end (FastAPI TestClient, bearer auth, JSON encoding) and
prints p50/p95 against the budget with the machine's load average. The search baseline, timed
in each run, is agentsview's PG search: ``content ILIKE '%term%' ORDER BY timestamp DESC LIMIT
50`` with no usable index (agentsview's schema has none on messages).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_db  # noqa: E402
from bench.viewer_data import RARE, load, rows_for_write_test  # noqa: E402

BUDGET_MS = {"list": 50.0, "search": 150.0, "analytics": 500.0}  # p95, architecture.md
ILIKE_RATIO = 20.0  # search at least this much faster than agentsview's ILIKE (p95 and p50)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered) + 0.5) - 1))]


def timed(fn: Callable[[int], object], runs: int) -> list[float]:
    out = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def budget_of(case: str) -> float:
    if case.startswith("search"):
        return BUDGET_MS["search"]
    if case.startswith("analytics"):
        return BUDGET_MS["analytics"]
    return BUDGET_MS["list"]


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


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


def index_everything(conn: psycopg.Connection) -> tuple[int, float]:
    """The indexer, as a scheduler would run it: batches of 200 sessions until none is left
    (search documents and the analytics rollups). Returns (sessions visited, seconds)."""
    t, visited = time.perf_counter(), 0
    while n := conn.execute("SELECT refresh_search(200)").fetchone()[0]:  # type: ignore[index]
        visited += n
    return visited, time.perf_counter() - t


def describe(conn: psycopg.Connection) -> str:
    docs = conn.execute("SELECT count(*) FROM search_chunks").fetchone()[0]  # type: ignore[index]
    size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]  # type: ignore[index]
    search = conn.execute(
        "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'av' AND c.relkind = 'r' "
        "AND c.relname LIKE 'search_chunks%'"
    ).fetchone()[0]  # type: ignore[index]
    failing = conn.execute("SELECT count(*) FROM index_failures").fetchone()[0]  # type: ignore[index]
    return f"{docs:,} search documents; database {size}, search tables {search}; index failures {failing}"


def prepare(args: argparse.Namespace) -> Iterator[bench_db.BenchDatabase]:
    """Yield a loaded, fully indexed database (loaded now, or kept from an earlier run)."""
    dataset = {"sessions": args.sessions, "messages": args.messages, "seed": 7}
    source = bench_db.kept(Path(args.db_dir), dataset) if args.db_dir else bench_db.throwaway()
    with source as db:
        with db.admin() as conn:
            conn.execute("SET statement_timeout = 0")
            if db.reused:
                print(f"reusing the database in {args.db_dir}: {bench_db.loaded_counts(Path(args.db_dir))}")
            else:
                if args.write_rows:
                    print(f"write cost, {args.write_rows:,} message rows (rows/s):", flush=True)
                    wc = write_cost(conn, args.write_rows)
                    for k, v in wc.items():
                        print(f"  {k:9} {v:10,.0f}  {v / wc['w_plain']:6.1%} of PK+lz4")
                t = time.perf_counter()
                with db.admin() as tools_conn:
                    counts = load(conn, tools_conn, sessions=args.sessions, messages=args.messages)
                print(f"loaded {counts} by COPY in {time.perf_counter() - t:.0f} s", flush=True)
                conn.execute("VACUUM ANALYZE")
            visited, seconds = index_everything(conn)
            if visited:
                docs = conn.execute("SELECT count(*) FROM search_chunks").fetchone()[0]  # type: ignore[index]
                print(
                    f"indexer: {visited:,} sessions, {docs:,} documents in {seconds:.0f} s "
                    f"({docs / seconds:,.0f} documents/s)",
                    flush=True,
                )
                conn.execute("VACUUM ANALYZE")
            if args.db_dir and not db.reused:
                bench_db.mark_loaded(Path(args.db_dir), counts)
            print(describe(conn), flush=True)
        yield db


def cases_for(
    db: bench_db.BenchDatabase, get: Callable[..., None]
) -> tuple[dict[str, Callable[[int], None]], list[str]]:
    with db.admin() as conn:
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
                "ORDER BY s.id LIMIT 50"
            )
        ]
    year_ago = (date.today() - timedelta(days=365)).isoformat()
    rng = random.Random(3)
    rare = rng.sample(RARE, 5)
    words = ["function", "request", "session", "deploy", "zqabcdef", *rare]
    phrases = ['"router dispatch"', '"handle request"', '"return self"', '"created at"', '"session message"']
    # Substrings as people type them: whole identifiers and paths, and pieces that start inside a
    # token (common ones, and a rare one: part of a rare word).
    subs = ["handle_req", "Service.java", "SessionList.svel", "pathlib import", "andleRequest", rare[0][2:7]]
    week = date.today() - timedelta(days=180)
    filtered: list[dict[str, str]] = [
        {"project": "project-3"},
        {"machine": "m1"},
        {"date_from": week.isoformat(), "date_to": (week + timedelta(days=6)).isoformat()},
    ]
    cjk = [("索引", "substring"), ("日本語のテキスト", "substring"), ("東京都", "words"), ("天気", "words")]
    cases: dict[str, Callable[[int], None]] = {
        "list": lambda i: get("/api/v1/sessions", limit=50),
        "list, filtered": lambda i: get(
            "/api/v1/sessions", limit=50, project=f"project-{i % 40}", agent="claude", min_messages=10
        ),
        "list, machine": lambda i: get("/api/v1/sessions", limit=50, machine="m1"),
        "detail": lambda i: get(f"/api/v1/sessions/{any_ids[i % len(any_ids)]}"),
        "session cost": lambda i: get(f"/api/v1/sessions/{any_ids[i % len(any_ids)]}/cost"),
        "messages, 500": lambda i: get(f"/api/v1/sessions/{big[i % len(big)]}/messages", limit=500),
        # The same pages uncompressed: what gzip costs, measured in the same run.
        "messages, 500, identity": lambda i: get(
            f"/api/v1/sessions/{big[i % len(big)]}/messages", limit=500, accept_encoding="identity"
        ),
        "search word": lambda i: get("/api/v1/search", q=words[i % len(words)]),
        "search word, recent": lambda i: get("/api/v1/search", q=words[i % len(words)], sort="recent"),
        # A common word with a selective filter: one project of 40, one machine of 4, or a week
        # half a year back (issue 15: `function` in one project took 15-25 s).
        "search word, filtered": lambda i: get(
            "/api/v1/search", q=("function", "request")[i % 2], **filtered[i % len(filtered)]
        ),
        "search phrase": lambda i: get("/api/v1/search", q=phrases[i % len(phrases)]),
        "search substring": lambda i: get("/api/v1/search", q=subs[i % len(subs)], mode="substring"),
        "search CJK": lambda i: get("/api/v1/search", q=cjk[i % len(cjk)][0], mode=cjk[i % len(cjk)][1]),
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
        "cost",
    ):
        cases[f"analytics {ep}"] = lambda i, ep=ep: get(f"/api/v1/analytics/{ep}")
        cases[f"analytics {ep}, 1 year"] = lambda i, ep=ep: get(
            f"/api/v1/analytics/{ep}", **{"from": year_ago}
        )
    # The baseline looks for the same texts, literally.
    ilike_terms = [*words, *(p.strip('"') for p in phrases), *subs, *(c[0] for c in cjk)]
    return cases, ilike_terms


@contextmanager
def viewer_client(db: bench_db.BenchDatabase) -> Iterator[Callable[..., None]]:
    from fastapi.testclient import TestClient

    from avcore.runtime import built_and_settled
    from avcore.settings import ViewerSettings
    from infra.credentials import add_viewer
    from viewer_fn.app import create_app

    with db.admin() as conn:
        viewer = add_viewer(conn, name="bench")
    settings = ViewerSettings(
        database_url=db.viewer_dsn,
        session_secret="bench-" + "x" * 40,
        environment="local",
        db_statement_timeout_ms=120_000,
    )
    # Built and settled as the Lambda handler and uvicorn build it (gc.freeze() once it is
    # built): without that, every full collection a request triggers walks the whole app too
    # (50-190 ms under load on the 500-message page; bench/README.md).
    app = built_and_settled(lambda: create_app(settings))
    client = TestClient(app, base_url="https://testserver")
    auth = {"Authorization": f"Bearer {viewer.token}"}

    def get(path: str, accept_encoding: str = "gzip", **params: object) -> None:
        r = client.get(path, params=params, headers={**auth, "Accept-Encoding": accept_encoding})
        assert r.status_code == 200, (path, params, r.text[:300])

    try:
        yield get
    finally:
        app.state.db.close()


def one_run(db: bench_db.BenchDatabase, args: argparse.Namespace, n: int) -> dict[str, tuple[float, float]]:
    print(f"\nrun {n}: load average before {loadavg()}", flush=True)
    print(f"{'endpoint':34} {'p50 ms':>9} {'p95 ms':>9} {'budget':>8}", flush=True)
    results: dict[str, tuple[float, float]] = {}
    with viewer_client(db) as get:
        cases, ilike_terms = cases_for(db, get)
        for name, fn in cases.items():
            if args.only and not re.search(args.only, name):
                continue
            fn(0)  # warm
            ms = timed(fn, args.runs)
            results[name] = (statistics.median(ms), pct(ms, 0.95))
            ok = "ok" if results[name][1] <= budget_of(name) else "OVER"
            print(f"{name:34} {results[name][0]:9.1f} {results[name][1]:9.1f} {ok:>8}", flush=True)
    searches = [v for k, v in results.items() if k.startswith("search")]
    if searches and args.ilike:
        # agentsview's method on the same database: no usable index (ts + 0 keeps it off any ts index).
        ilike_sql = (
            "SELECT session_pk, ordinal FROM messages WHERE content ILIKE %s ESCAPE '\\' "
            "ORDER BY ts + interval '0' DESC NULLS LAST LIMIT 50"
        )
        ilike_runs = max(5, args.runs // 4)
        with psycopg.connect(db.viewer_dsn, autocommit=True) as vc:
            vc.execute("SET statement_timeout = 0")
            ilike = timed(
                lambda i: vc.execute(ilike_sql, (f"%{ilike_terms[i % len(ilike_terms)]}%",)).fetchall(),
                ilike_runs,
            )
        our_p50 = statistics.median([r[0] for r in searches])
        our_p95 = max(r[1] for r in searches)
        ratio50, ratio95 = statistics.median(ilike) / our_p50, pct(ilike, 0.95) / our_p95
        results["ILIKE baseline"] = (statistics.median(ilike), pct(ilike, 0.95))
        results["search vs ILIKE (x faster)"] = (ratio50, ratio95)
        ok = "ok" if min(ratio50, ratio95) >= ILIKE_RATIO else "UNDER"
        print(
            f"agentsview ILIKE ({ilike_runs} runs): p50 {results['ILIKE baseline'][0]:.0f} ms, p95 "
            f"{results['ILIKE baseline'][1]:.0f} ms; search vs ILIKE: p50 {ratio50:.0f}x, p95 (slowest "
            f"search case) {ratio95:.0f}x faster  {ok} (>= {ILIKE_RATIO:.0f}x)",
            flush=True,
        )
    print(f"run {n}: load average after {loadavg()}", flush=True)
    return results


def report(runs: list[dict[str, tuple[float, float]]]) -> None:
    print(
        f"\n{'p95 ms per run':34} "
        + " ".join(f"{'run ' + str(i + 1):>9}" for i in range(len(runs)))
        + "   budget"
    )
    misses = 0
    for name in runs[0]:
        if name.startswith(("ILIKE", "search vs")):
            continue
        values = [r[name][1] for r in runs if name in r]
        ok = all(v <= budget_of(name) for v in values)
        misses += not ok
        cells = " ".join(f"{v:9.1f}" for v in values)
        print(f"{name:34} {cells}   {'ok' if ok else 'OVER'} (<= {budget_of(name):.0f})")
    if "search vs ILIKE (x faster)" in runs[0]:
        cells = " ".join(f"{r['search vs ILIKE (x faster)'][1]:8.0f}x" for r in runs)
        print(f"{'search vs ILIKE, p95':34} {cells}   (>= {ILIKE_RATIO:.0f}x)")
    print(f"\n{misses} case(s) over budget in at least one run")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30, help="timed repetitions of each case in one run")
    ap.add_argument(
        "--repeat", type=int, default=1, help="separate runs (fresh app each), reported side by side"
    )
    ap.add_argument("--write-rows", type=int, default=30_000, help="rows for the write-cost test (0: skip)")
    ap.add_argument("--db-dir", help="keep the loaded cluster here and reuse it (same --sessions/--messages)")
    ap.add_argument("--only", help="time only the cases whose name matches this regular expression")
    ap.add_argument("--no-ilike", dest="ilike", action="store_false", help="skip the ILIKE baseline")
    args = ap.parse_args()
    os.environ.setdefault("AV_LOG_LEVEL", "WARNING")
    with contextmanager(prepare)(args) as db:
        runs = [one_run(db, args, n + 1) for n in range(args.repeat)]
    if len(runs) > 1:
        report(runs)


if __name__ == "__main__":
    main()
