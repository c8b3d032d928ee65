"""Contract migration drop_search_docs: applied to a schema-8 database holding indexed sessions."""

from __future__ import annotations

import psycopg

from avcore.settings import IngestSettings
from infra import migrate as migrations
from ingest_fn.indexer import database, refresh
from tests.apps import build_apps, make_session
from tests.infra.migration_steps import schema_before

# What the indexer built for schema 8 read for its lag before 99ec695 (ingest_fn/indexer.py):
# such code is in the range 0009 lets run, so this query must keep working, and answer right.
LAG_BUILT_FOR_8 = """
SELECT coalesce(extract(epoch FROM now() - s.updated_at), 0) FROM sessions s
LEFT JOIN search_state st ON st.session_pk = s.id
LEFT JOIN session_rollup ro ON ro.session_pk = s.id
LEFT JOIN index_failures f ON f.session_pk = s.id
WHERE (st.session_pk IS NULL OR st.indexed_seq < s.change_seq
       OR ro.session_pk IS NULL OR ro.rolled_seq < s.change_seq)
  AND (f.session_pk IS NULL OR f.failed_seq < s.change_seq)
ORDER BY s.change_seq LIMIT 1"""


def _schema_8_with_an_indexed_session(conn: psycopg.Connection) -> None:
    """One session, indexed both ways: into search_chunks by 0007's pass, and into search_docs
    and search_state by 0005's function, as code built for schema 6 left them."""
    conn.execute("SET search_path = av")
    machine = conn.execute("INSERT INTO machines (name) VALUES ('laptop') RETURNING id").fetchone()[0]
    pk, seq = conn.execute(
        "INSERT INTO sessions (machine_id, session_id, agent, fingerprint, started_at, message_count) "
        "VALUES (%s, 'old', 'claude', 'f', '2026-11-01T10:00:00Z', 2) RETURNING id, change_seq",
        (machine,),
    ).fetchone()
    conn.execute(
        "INSERT INTO messages (session_pk, ordinal, role, content, ts, chain_hash) VALUES "
        "(%(pk)s, 0, 'user', 'where is the zebracorn config', '2026-11-01T10:00:00Z', 'a'), "
        "(%(pk)s, 1, 'assistant', 'reading it', '2026-11-01T10:00:01Z', 'b')",
        {"pk": pk},
    )
    conn.execute(
        "INSERT INTO tool_calls (session_pk, message_ordinal, call_index, tool_name, result_content) "
        "VALUES (%s, 1, 0, 'Read', 'zebracorn: true')",
        (pk,),
    )
    assert conn.execute("SELECT indexed, failed FROM index_pass(10)").fetchone() == (1, 0)
    conn.execute("SELECT index_session_search(%s, %s)", (pk, seq))
    assert conn.execute("SELECT count(*) FROM search_docs").fetchone() == (3,)
    assert conn.execute("SELECT count(*) FROM search_state").fetchone() == (1,)


def _relkind(conn: psycopg.Connection, name: str) -> str | None:
    row = conn.execute(
        "SELECT relkind::text FROM pg_class WHERE oid = to_regclass(%s)", (f"av.{name}",)
    ).fetchone()
    return row[0] if row else None


def _hits(apps, q: str) -> set[tuple[str, int, str]]:
    found = apps.view("/api/v1/search", q=q, limit=50)
    assert found.status_code == 200, found.text
    return {(h["session_id"], h["ordinal"], h["source"]) for h in found.json()["rows"]}


def test_the_old_index_is_dropped_and_indexer_status_and_search_go_on(
    empty_db, pg_server, monkeypatch
) -> None:
    assert next(m for m in migrations.load_migrations() if m.name == "drop_search_docs").code_min == 7
    with schema_before("drop_search_docs", empty_db, pg_server, monkeypatch) as (conn, apply_the_rest):
        _schema_8_with_an_indexed_session(conn)

        assert [m.name for m in apply_the_rest()][0] == "drop_search_docs"
        assert _relkind(conn, "search_docs") is None
        assert _relkind(conn, "search_state") == "v"
        assert conn.execute(
            "SELECT to_regprocedure('av.index_session_search(bigint, bigint)')"
        ).fetchone() == (None,)

    apps = build_apps(empty_db)
    db = database(IngestSettings(database_url=empty_db.ingest_dsn, environment="local"))
    try:
        with psycopg.connect(empty_db.ingest_dsn, autocommit=True) as old_indexer:
            assert old_indexer.execute(LAG_BUILT_FOR_8).fetchone() is None  # nothing waits
            # What 0007's pass indexed stays indexed: found, and not pending.
            assert apps.view("/api/v1/sync/status").json()["indexer"]["pending_sessions"] == 0
            assert _hits(apps, "zebracorn") == {
                ("laptop:old", 0, "message"),
                ("laptop:old", 1, "tool_output"),
            }

            assert apps.push(make_session("new", messages=2)).json()["results"][0]["status"] == "applied"
            assert old_indexer.execute(LAG_BUILT_FOR_8).fetchone() is not None  # the new one waits
            assert apps.view("/api/v1/sync/status").json()["indexer"]["pending_sessions"] == 1
            assert refresh(db, budget_s=30).indexed == 1
            assert old_indexer.execute(LAG_BUILT_FOR_8).fetchone() is None
        status = apps.ingest.get("/v1/status", headers={"Authorization": f"Bearer {apps.device_token}"})
        assert status.status_code == 200, status.text
        assert apps.view("/api/v1/sync/status").json()["indexer"] == {
            "pending_sessions": 0,
            "failing_sessions": 0,
            "failures": [],
        }
        assert _hits(apps, "assistant message") == {("laptop:new", 1, "message")}
    finally:
        db.close()
        apps.ingest.app.state.db.close()
        apps.viewer.app.state.db.close()
