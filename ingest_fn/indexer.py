"""The indexer: fills ``search_docs`` and the analytics rollups after the fact, off the push path.

Indexing at write time cost 95 % of push throughput (docs/design-search.md), so
pushes write rows only and this job indexes the sessions that changed since,
in batches, through ``av.refresh_search`` (one indexer at a time: it takes an
advisory lock and returns 0 when another holds it). The viewer searches the
few not-yet-indexed sessions directly, so search never misses a pushed message.

Runs as a scheduled Lambda (``handler``, see template.yaml) or, on the local
stack, as a loop: ``python -m ingest_fn.indexer --every 2``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import time
from typing import Any

from avcore.db.policy import plan_connection
from avcore.db.pool import Database
from avcore.settings import IngestSettings, load

log = logging.getLogger("av.indexer")
SESSIONS_PER_BATCH = 50
REFRESH_SQL = "SELECT refresh_search(%s)"
SAFETY_MARGIN_S = 5.0


def database(settings: IngestSettings) -> Database:
    dsn = settings.dsn()
    return Database(
        plan_connection(dsn, allow_insecure=settings.db_allow_insecure, application_name="av-indexer"),
        component="indexer",
        allow_insecure=settings.db_allow_insecure,
        dsn_for_scrubbing=dsn,
    )


def refresh(db: Database, *, budget_s: float) -> int:
    """Index changed sessions in batches until none are left or ``budget_s`` is spent."""
    deadline = time.monotonic() + budget_s
    total = 0
    with db.connection() as conn:
        while time.monotonic() < deadline:
            row = conn.execute(REFRESH_SQL, (SESSIONS_PER_BATCH,)).fetchone()
            done = int(row[0]) if row else 0
            total += done
            if done < SESSIONS_PER_BATCH:
                break
    return total


_db: Database | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Scheduled Lambda entry point: work until shortly before the invocation's timeout."""
    global _db
    if _db is None:
        _db = database(load(IngestSettings))
    remaining = context.get_remaining_time_in_millis() / 1000 if context else 50.0
    indexed = refresh(_db, budget_s=max(1.0, remaining - SAFETY_MARGIN_S))
    log.info("search index refreshed", extra={"sessions": indexed})
    return {"indexed_sessions": indexed}


def main() -> None:
    parser = argparse.ArgumentParser(description="Keep the search index current (the local stack's indexer).")
    parser.add_argument("--every", type=float, default=2.0, help="seconds between passes")
    args = parser.parse_args()
    from avcore.web import configure_logging

    configure_logging()
    db = database(load(IngestSettings))
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        try:
            indexed = refresh(db, budget_s=30.0)
            if indexed:
                log.info("search index refreshed", extra={"sessions": indexed})
        except Exception:  # the loop must outlive a database restart
            log.exception("indexer pass failed; retrying")
        time.sleep(args.every)
    db.close()


if __name__ == "__main__":
    main()
