"""The search indexer: it indexes what changed since, and only that."""

from __future__ import annotations

import json
import logging
import uuid

from avcore.settings import IngestSettings
from ingest_fn.indexer import database, handler, refresh
from tests.apps import make_session
from tests.ingest.test_protocol import chained, post
from tests.lambda_events import FakeContext


def _indexed(apps) -> dict[str, int]:
    with apps.db.admin() as conn:
        return dict(
            conn.execute(
                "SELECT s.session_id, count(d.*) FROM sessions s JOIN search_chunks_state st ON st.session_pk = s.id "
                "LEFT JOIN search_chunks d ON d.session_pk = s.id GROUP BY s.session_id"
            ).fetchall()
        )


def test_refresh_indexes_changed_sessions_and_follows_deletes(apps) -> None:
    db = database(IngestSettings(database_url=apps.db.ingest_dsn, environment="local"))
    apps.push(chained("i1", ["alpha", "beta", "gamma"]), chained("i2", ["delta"]))
    assert _indexed(apps) == {}  # pushing does not index: that is the point
    assert refresh(db, budget_s=30).indexed == 2
    assert _indexed(apps) == {"i1": 3, "i2": 1}
    assert refresh(db, budget_s=30).indexed == 0  # nothing changed since
    apps.push(chained("i1", ["alpha", "beta", "gamma", "epsilon"]))
    post(
        apps,
        "/v1/deletes",
        {"protocol": 1, "request_id": uuid.uuid4().hex, "session_ids": ["i2"], "action": "mirror"},
    )
    assert refresh(db, budget_s=30).indexed == 2
    assert _indexed(apps) == {"i1": 4, "i2": 0}
    db.close()


def test_the_scheduled_lambda_handler_indexes(apps, monkeypatch) -> None:
    import ingest_fn.indexer as indexer

    monkeypatch.setenv("AV_DATABASE_URL", apps.db.ingest_dsn)
    monkeypatch.setattr(indexer, "_db", None)
    apps.push(chained("l1", ["one", "two"]))
    assert handler({"source": "aws.events"}, FakeContext()) == {
        "indexed_sessions": 1,
        "failed_sessions": 0,
        "failing_sessions": 0,
    }
    assert _indexed(apps) == {"l1": 2}
    indexer._db.close()


# Two token counts of one message, each within the accepted range (< 2^31), whose sum is not.
POISON_USAGE = {"input_tokens": 1_500_000_000, "output_tokens": 1_500_000_000}
YEAR = {"from": "2026-01-01", "to": "2026-12-31"}


def _poisoned(session_id: str) -> dict:
    session = make_session(session_id, messages=4)
    session["messages"][1]["usage"] = dict(POISON_USAGE)
    return session


def test_one_session_cannot_stop_indexing_or_analytics(apps, caplog) -> None:
    """Issue 11 item 1: the sum of two accepted token counts used to overflow 32 bits in the
    rollup, fail every indexer pass from then on, and make /analytics/tokens answer 500."""
    db = database(IngestSettings(database_url=apps.db.ingest_dsn, environment="local"))
    assert apps.push(_poisoned("poison")).json()["results"][0]["status"] == "applied"
    # Before the indexer runs, the viewer computes this session from its raw rows: in 64 bits.
    tokens = apps.view("/api/v1/analytics/tokens", **YEAR)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["totals"]["input_tokens"] == 1_500_000_000 + 10
    caplog.set_level(logging.INFO, logger="av.indexer")
    first = refresh(db, budget_s=30)
    assert (first.indexed, first.failed) == (1, 0)  # summed in 64 bits: it does not fail any more
    apps.push(make_session("later", messages=4))
    assert refresh(db, budget_s=30).indexed == 1
    assert set(_indexed(apps)) == {"poison", "later"}
    tokens = apps.view("/api/v1/analytics/tokens", **YEAR)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["totals"]["output_tokens"] == 1_500_000_000 + 5 + 2 * 5
    assert tokens.json()["totals"]["input_tokens"] == 1_500_000_000 + 10 + 2 * 10
    db.close()


def _break_indexing_of(apps, session_id: str) -> None:
    """Make this one session fail to index, as a kind of data we have not foreseen would: a
    trigger (owned by the test, dropped with its database) refuses its search documents."""
    with apps.db.admin() as conn:
        conn.execute("""
            CREATE FUNCTION refuse_doc() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF (SELECT session_id FROM sessions WHERE id = NEW.session_pk) = 'bad' THEN
                    RAISE EXCEPTION 'cannot index this one' USING ERRCODE = '22003';
                END IF;
                RETURN NEW;
            END $$""")
        conn.execute(
            "CREATE TRIGGER refuse_doc BEFORE INSERT ON search_chunks FOR EACH ROW EXECUTE FUNCTION refuse_doc()"
        )


def test_a_failing_session_is_isolated_recorded_reported_and_retried_when_it_changes(apps, caplog) -> None:
    db = database(IngestSettings(database_url=apps.db.ingest_dsn, environment="local"))
    _break_indexing_of(apps, "bad")
    apps.push(
        make_session("good1", messages=4), make_session("bad", messages=4), make_session("good2", messages=4)
    )
    caplog.set_level(logging.INFO, logger="av.indexer")
    result = refresh(db, budget_s=30)
    assert (result.indexed, result.failed, result.failing) == (2, 1, 1)
    assert set(_indexed(apps)) == {"good1", "good2"}
    failure = [r for r in caplog.records if getattr(r, "session", None) == "laptop:bad"]
    assert failure and failure[0].sqlstate == "22003" and "cannot index this one" in failure[0].error
    metric = [r for r in caplog.records if hasattr(r, "_aws")][-1]
    assert metric.IndexerFailedSessions == 1 and metric.IndexedSessions == 2
    json.dumps(metric._aws)  # the embedded-metric record is plain JSON

    # Skipped from now on (no retry storm), while later sessions are indexed.
    apps.push(make_session("good3", messages=4))
    again = refresh(db, budget_s=30)
    assert (again.indexed, again.failed, again.failing) == (1, 0, 1)

    # Reported: to the machine's device (/v1/status) and to the viewer (/sync/status).
    status = apps.ingest.get("/v1/status", headers={"Authorization": f"Bearer {apps.device_token}"}).json()
    assert [f["session_id"] for f in status["index_failures"]] == ["bad"]
    assert "cannot index this one" in status["index_failures"][0]["error"]
    indexer = apps.view("/api/v1/sync/status").json()["indexer"]
    assert indexer["failing_sessions"] == 1 and indexer["pending_sessions"] == 1
    assert [f["session_id"] for f in indexer["failures"]] == ["laptop:bad"]

    # Still found by search (scanned as pending) and counted by analytics (from raw rows).
    hits = apps.view("/api/v1/search", q="of bad").json()["rows"]
    assert {h["session_id"] for h in hits} == {"laptop:bad"}
    sessions = apps.view("/api/v1/analytics/summary", **YEAR).json()
    assert sessions["total_sessions"] == 4

    # Once the cause is gone and the session changes, it is tried again and the record goes.
    with apps.db.admin() as conn:
        conn.execute("DROP TRIGGER refuse_doc ON search_chunks")
    apps.push(make_session("bad", messages=4, version=2))
    healed = refresh(db, budget_s=30)
    assert (healed.indexed, healed.failed, healed.failing) == (1, 0, 0)
    assert "bad" in _indexed(apps)
    status = apps.ingest.get("/v1/status", headers={"Authorization": f"Bearer {apps.device_token}"}).json()
    assert status["index_failures"] == []
    db.close()
