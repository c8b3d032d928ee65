"""Migration 0012's index built plainly and CONCURRENTLY, and how long a write waits meanwhile.

    .venv/bin/python bench/online_index.py                          # throwaway cluster, 200k chunks
    .venv/bin/python bench/online_index.py --db-dir /tmp/av-bench-1m --repeat 1

Builds the index of ``0012_search_by_day.sql`` under another name, alternately as ``CREATE INDEX``
(what 0012 did in the migrator's transaction) and ``CREATE INDEX CONCURRENTLY`` (what it does
now), dropping it after each. Meanwhile a writer inserts a chunk into ``search_chunks`` and rolls
it back, again and again, as the indexer's writes do: its longest wait is the figure. Reports
each build's time, the median concurrent/plain ratio (the baseline is the plain build of the same
run) and the writer's longest wait under each. With ``--db-dir``, the kept bench database (run
under ``flock /work/coord/bench.lock``; it leaves the database as it found it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_db  # noqa: E402

INDEX = "bench_online_day_words"
BUILD = f"CREATE INDEX {{how}} {INDEX} ON av.search_chunks USING gin ((hour / 24), tsv)"
SYNTHETIC = """
INSERT INTO av.machines (name) VALUES ('bench');
INSERT INTO av.sessions (machine_id, session_id, agent, fingerprint)
SELECT 1, 's' || g, 'claude', 'f' FROM generate_series(1, 100) g;
INSERT INTO av.search_chunks (session_pk, ordinal, call_index, chunk, start_char, hour, tsv, body)
SELECT 1 + g % 100, g, 0, 0, 1, 490000 + g / 50, to_tsvector('simple', t), t
FROM (SELECT g, (SELECT string_agg('w' || (random() * 20000)::int, ' ') FROM generate_series(1, 60 + g % 7))
      AS t FROM generate_series(1, %(rows)s) g) x;
ANALYZE av.search_chunks;
"""


@contextmanager
def database(db_dir: str | None, rows: int) -> Iterator[str]:
    if db_dir:
        dataset = json.loads((Path(db_dir) / "state.json").read_text())["dataset"]
        with bench_db.kept(Path(db_dir), dataset) as kept:
            yield kept.admin_dsn
        return
    from tests.pg import create_database, prepare_template, start_server

    with start_server() as server:
        prepare_template(server)
        db = create_database(server)
        with psycopg.connect(db.admin_dsn, autocommit=True) as conn:
            conn.execute(SYNTHETIC.replace("%(rows)s", str(rows)))  # one script: no parameters
        yield db.admin_dsn


def longest_write_wait(dsn: str, stop: threading.Event, waits: list[float]) -> None:
    """Insert a chunk and roll it back until ``stop``; append each statement's time to ``waits``."""
    with psycopg.connect(dsn) as conn:
        (pk,) = conn.execute("SELECT min(id) FROM av.sessions").fetchone() or (None,)
        conn.rollback()
        while not stop.is_set():
            began = time.perf_counter()
            conn.execute(
                "INSERT INTO av.search_chunks (session_pk, ordinal, call_index, chunk, start_char, hour, tsv, body)"
                " VALUES (%s, -1, -1, -1, 1, 490000, to_tsvector('simple', 'bench write'), 'bench write')",
                (pk,),
            )
            conn.rollback()
            waits.append(time.perf_counter() - began)
            time.sleep(0.05)


def build(dsn: str, how: str) -> tuple[float, float]:
    """(seconds the build took, the writer's longest wait meanwhile in seconds)."""
    stop, waits = threading.Event(), [0.0]
    writer = threading.Thread(target=longest_write_wait, args=(dsn, stop, waits))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP INDEX IF EXISTS av.{INDEX}")
        writer.start()
        try:
            time.sleep(0.3)  # the writer is writing before the build starts
            began = time.perf_counter()
            conn.execute(BUILD.format(how=how))  # a fixed statement of this file
            took = time.perf_counter() - began
        finally:  # a failed build must neither leave the writer looping nor its index on a kept database
            stop.set()
            writer.join()
            conn.execute(f"DROP INDEX IF EXISTS av.{INDEX}")
    return took, max(waits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-dir", help="the kept bench database (default: a throwaway cluster)")
    parser.add_argument("--rows", type=int, default=200_000, help="synthetic chunks (throwaway only)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with database(args.db_dir, args.rows) as dsn:
        plain, online = [], []
        for run in range(args.repeat):
            plain.append(build(dsn, ""))
            online.append(build(dsn, "CONCURRENTLY"))
            print(
                f"run {run + 1}: plain {plain[-1][0]:.1f} s (a write waited up to {plain[-1][1]:.2f} s), "
                f"concurrent {online[-1][0]:.1f} s (a write waited up to {online[-1][1]:.2f} s)"
            )
        ratio = statistics.median(o[0] / p[0] for p, o in zip(plain, online, strict=True))
        print(f"concurrent / plain build time, median of {args.repeat}: {ratio:.2f}")


if __name__ == "__main__":
    main()
