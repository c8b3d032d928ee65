"""First searches of rare terms, disk-cold: what run 1 of the viewer bench hits by chance.

    .venv/bin/python bench/first_search.py --db-dir /tmp/av-bench-1m            # 8 rare words by rank
    .venv/bin/python bench/first_search.py --db-dir /tmp/av-bench-1m --mode substring --sort recent

For each term, on the database ``viewer_bench.py --db-dir`` keeps: the cluster stopped, every file
of it dropped from the OS cache (``posix_fadvise(DONTNEED)``: only these files, nobody else's
cache), the cluster started, the viewer bench's warm-up search (``function``) made, then the term
searched through the API once (its first search: nothing of it in any cache) and once again (the
in-run baseline: the same answer from memory). The terms are rare words of the bench vocabulary
(by default ``RARE[4000:4008]``, none of the five the viewer bench times), each in ~3,750 chunks
at 1 M;
whatever searched them before, each first search here starts with none of its pages cached.
Why a first search costs what it does: docs/design-search.md, "First searches of a rare term".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_db  # noqa: E402
from bench.viewer_bench import viewer_client  # noqa: E402
from bench.viewer_data import RARE  # noqa: E402


def drop_from_os_cache(directory: Path) -> int:
    """Ask the kernel to forget the cached pages of every file under ``directory``."""
    dropped = 0
    for root, _, files in os.walk(directory):
        for name in files:
            try:
                fd = os.open(os.path.join(root, name), os.O_RDONLY)
            except OSError:
                continue  # a socket or a file that just went away
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                dropped += 1
            finally:
                os.close(fd)
    return dropped


def first_search(db_dir: Path, dataset: dict[str, object], params: dict[str, str]) -> tuple[float, float]:
    """Milliseconds of the term's first search after a cold start, and of the same search again."""
    drop_from_os_cache(db_dir / "pg")
    with bench_db.kept(db_dir, dataset) as db, viewer_client(db) as get:
        get("/api/v1/search", q="function")  # the viewer bench's warm-up of its first search case
        times = []
        for _ in range(2):
            t = time.perf_counter()
            get("/api/v1/search", **params)
            times.append((time.perf_counter() - t) * 1000)
    return times[0], times[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db-dir", required=True, help="the kept database of viewer_bench.py --db-dir")
    ap.add_argument("--words", type=int, default=8, help="terms, each measured on a freshly started cluster")
    ap.add_argument("--offset", type=int, default=4000, help="the first term's index in the rare vocabulary")
    ap.add_argument("--mode", choices=["words", "substring"], default="words")
    ap.add_argument("--sort", choices=["rank", "recent"], default="rank")
    args = ap.parse_args()
    db_dir = Path(args.db_dir)
    state = json.loads((db_dir / "state.json").read_text()) if (db_dir / "state.json").exists() else {}
    if state.get("loaded") is not True:
        sys.exit(f"{db_dir} holds no loaded database: run viewer_bench.py --db-dir {db_dir} first")
    rows = []
    for word in RARE[args.offset : args.offset + args.words]:
        q = word if args.mode == "words" else word[2:7]  # a substring from inside the word
        first, again = first_search(db_dir, state["dataset"], {"q": q, "mode": args.mode, "sort": args.sort})
        rows.append((first, again))
        print(
            f"{q:>10}  first {first:7.1f} ms  again {again:6.1f} ms  load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    first, again = (statistics.median(r[i] for r in rows) for i in (0, 1))
    print(
        f"median: first {first:.1f} ms, again {again:.1f} ms ({first / again:.1f}x); "
        f"slowest first {max(r[0] for r in rows):.1f} ms (search budget: p95 150 ms)"
    )


if __name__ == "__main__":
    main()
