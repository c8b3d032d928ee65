"""The indexer: fills ``search_chunks`` and the analytics rollups after the fact, off the push path.

Indexing at write time cost 95 % of push throughput (docs/design-search.md), so
pushes write rows only and this job indexes the sessions that changed since,
in batches, through ``av.refresh_search`` (one indexer at a time: it takes an
advisory lock and returns 0 when another holds it). The viewer searches the
few not-yet-indexed sessions directly, so search never misses a pushed message.

Runs as a scheduled Lambda (``handler``, see template.yaml) or, on the local
stack, as a loop: ``python -m ingest_fn.indexer --every 2``.

One session that cannot be indexed never stops the others (``av.index_pass``, migration
0005): it is recorded in ``index_failures``, skipped until it changes, logged here, counted
in the ``IndexerFailedSessions`` metric, and listed by ``/v1/status`` and the viewer's
``/sync/status``. The viewer still finds and counts it, from its raw rows.
"""

from __future__ import annotations

import argparse
import logging
import signal
import time
from dataclasses import dataclass
from typing import Any

from avcore.db.connect import database_for
from avcore.db.pool import Database
from avcore.logs import configure_logging, lambda_request_id_var
from avcore.metrics import emit
from avcore.settings import IngestSettings, load

log = logging.getLogger("av.indexer")
SESSIONS_PER_BATCH = 50
ONE_BATCH_SQL = "SELECT indexed, failed FROM index_pass(%s)"
FAILURES_SQL = """
SELECT m.name || ':' || s.session_id, f.sqlstate, f.error FROM index_failures f
JOIN sessions s ON s.id = f.session_pk JOIN machines m ON m.id = s.machine_id
WHERE f.failed_at >= %s ORDER BY f.failed_at, f.session_pk"""
FAILING_NOW_SQL = "SELECT count(*) FROM index_failures"
# The same choice index_pass makes (oldest change first, failures skipped until they change),
# through the same index on change_seq: the age of what the next pass would index first.
LAG_SQL = """
SELECT coalesce(extract(epoch FROM now() - s.updated_at), 0) FROM sessions s
LEFT JOIN search_chunks_state st ON st.session_pk = s.id
LEFT JOIN session_rollup ro ON ro.session_pk = s.id
LEFT JOIN index_failures f ON f.session_pk = s.id
WHERE (st.session_pk IS NULL OR st.indexed_seq < s.change_seq
       OR ro.session_pk IS NULL OR ro.rolled_seq < s.change_seq)
  AND (f.session_pk IS NULL OR f.failed_seq < s.change_seq)
ORDER BY s.change_seq LIMIT 1"""
SAFETY_MARGIN_S = 5.0


@dataclass(frozen=True)
class PassResult:
    indexed: int  # sessions whose search documents and rollups are now current
    failed: int  # sessions that failed in this pass (recorded, skipped until they change)
    failing: int  # sessions recorded as failing now, from this pass or earlier ones
    lag_s: float = 0.0  # how long the oldest change still waiting to be indexed has waited


def database(settings: IngestSettings) -> Database:
    return database_for(settings, component="indexer", application_name="av-indexer", max_size=1)


def refresh(db: Database, *, budget_s: float, report_idle: bool = True) -> PassResult:
    """Index changed sessions in batches until none are left or ``budget_s`` is spent.
    A session that fails is logged with its error and left out; the others go on."""
    deadline = time.monotonic() + budget_s
    indexed = failed = 0
    with db.connection() as conn:
        started = conn.execute("SELECT now()").fetchone()
        while time.monotonic() < deadline:
            row = conn.execute(ONE_BATCH_SQL, (SESSIONS_PER_BATCH,)).fetchone()
            done, bad = (int(row[0]), int(row[1])) if row else (0, 0)
            indexed, failed = indexed + done, failed + bad
            if done + bad < SESSIONS_PER_BATCH:
                break
        if failed:
            for session, sqlstate, error in conn.execute(FAILURES_SQL, (started[0] if started else None,)):
                log.error(
                    "a session could not be indexed; it is skipped until it changes",
                    extra={"session": session, "sqlstate": sqlstate, "error": error},
                )
        failing = conn.execute(FAILING_NOW_SQL).fetchone()
        waiting = conn.execute(LAG_SQL).fetchone()
    result = PassResult(
        indexed, failed, int(failing[0]) if failing else 0, max(0.0, float(waiting[0])) if waiting else 0.0
    )
    if report_idle or result.indexed or result.failed or result.lag_s:
        log_pass(result)
    return result


def log_pass(result: PassResult) -> None:
    """One log line per pass, which CloudWatch also reads as metrics (avcore.metrics): sessions
    indexed and failed, and how long the oldest change not yet searchable has waited. It is
    written on every pass, so a missing datapoint means the indexer is not running at all."""
    emit(
        {
            "IndexedSessions": result.indexed,
            "IndexerFailedSessions": result.failed,
            "IndexerLagSeconds": result.lag_s,
        },
        units={"IndexerLagSeconds": "Seconds"},
        message="search index refreshed",
        level=logging.ERROR if result.failed else logging.INFO,
        sessions=result.indexed,
        failed_sessions=result.failed,
        failing_sessions=result.failing,
    )


_db: Database | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Scheduled Lambda entry point: work until shortly before the invocation's timeout."""
    global _db
    if _db is None:
        configure_logging()  # JSON lines on stdout, which CloudWatch also reads as metrics
        _db = database(load(IngestSettings))
    remaining = context.get_remaining_time_in_millis() / 1000 if context else 50.0
    lambda_request_id_var.set(getattr(context, "aws_request_id", None))
    result = refresh(_db, budget_s=max(1.0, remaining - SAFETY_MARGIN_S))
    return {
        "indexed_sessions": result.indexed,
        "failed_sessions": result.failed,
        "failing_sessions": result.failing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Keep the search index current (the local stack's indexer).")
    parser.add_argument("--every", type=float, default=2.0, help="seconds between passes")
    args = parser.parse_args()
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
            refresh(db, budget_s=30.0, report_idle=False)  # a quiet local log between pushes
        except Exception:  # the loop must outlive a database restart
            log.exception("indexer pass failed; retrying")
        time.sleep(args.every)
    db.close()


if __name__ == "__main__":
    main()
