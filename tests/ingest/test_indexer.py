"""The search indexer: it indexes what changed since, and only that."""

from __future__ import annotations

import uuid

from avcore.settings import IngestSettings
from ingest_fn.indexer import database, handler, refresh
from tests.ingest.test_protocol import chained, post
from tests.lambda_events import FakeContext


def _indexed(apps) -> dict[str, int]:
    with apps.db.admin() as conn:
        return dict(
            conn.execute(
                "SELECT s.session_id, count(d.*) FROM sessions s JOIN search_state st ON st.session_pk = s.id "
                "LEFT JOIN search_docs d ON d.session_pk = s.id GROUP BY s.session_id"
            ).fetchall()
        )


def test_refresh_indexes_changed_sessions_and_follows_deletes(apps) -> None:
    db = database(IngestSettings(database_url=apps.db.ingest_dsn, environment="local"))
    apps.push(chained("i1", ["alpha", "beta", "gamma"]), chained("i2", ["delta"]))
    assert _indexed(apps) == {}  # pushing does not index: that is the point
    assert refresh(db, budget_s=30) == 2
    assert _indexed(apps) == {"i1": 3, "i2": 1}
    assert refresh(db, budget_s=30) == 0  # nothing changed since
    apps.push(chained("i1", ["alpha", "beta", "gamma", "epsilon"]))
    post(apps, "/v1/deletes", {"protocol": 1, "request_id": uuid.uuid4().hex, "session_ids": ["i2"]})
    assert refresh(db, budget_s=30) == 2
    assert _indexed(apps) == {"i1": 4, "i2": 0}
    db.close()


def test_the_scheduled_lambda_handler_indexes(apps, monkeypatch) -> None:
    import ingest_fn.indexer as indexer

    monkeypatch.setenv("AV_DATABASE_URL", apps.db.ingest_dsn)
    monkeypatch.setattr(indexer, "_db", None)
    apps.push(chained("l1", ["one", "two"]))
    assert handler({"source": "aws.events"}, FakeContext()) == {"indexed_sessions": 1}
    assert _indexed(apps) == {"l1": 2}
    indexer._db.close()
