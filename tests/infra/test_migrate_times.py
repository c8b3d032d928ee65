"""Migration 0011 (times_in_range): times stored out of 1970..2099 before ingest refused them are
nulled, counted, and their sessions re-indexed; every other time is left as it was."""

from __future__ import annotations

import psycopg

from infra import migrate as migrations
from tests.infra.migration_steps import schema_before

FAR = "10000-01-01 00:59:59+00"
BC = "0044-03-15 12:00:00+00 BC"
OLD = "1969-12-31 23:59:59+00"
FINE = "2026-11-01 10:00:00+00"


def test_out_of_range_times_are_nulled_counted_and_reindexed(empty_db, pg_server, monkeypatch) -> None:
    # the schema the previous release ran on
    with schema_before("times_in_range", empty_db, pg_server, monkeypatch) as (conn, apply_the_rest):
        conn.execute("SET search_path = av")
        machine = conn.execute("INSERT INTO machines (name) VALUES ('laptop') RETURNING id").fetchone()[0]
        pks = {}
        for sid, started, ended in (("odd", BC, FAR), ("odd-messages", FINE, FINE), ("fine", FINE, FINE)):
            pks[sid] = conn.execute(
                "INSERT INTO sessions (machine_id, session_id, agent, fingerprint, started_at, ended_at) "
                "VALUES (%s, %s, 'claude', 'f', %s, %s) RETURNING id",
                (machine, sid, started, ended),
            ).fetchone()[0]
        for sid, times in (("odd", [FINE]), ("odd-messages", [FAR, BC, OLD, FINE]), ("fine", [FINE, None])):
            for ordinal, ts in enumerate(times):
                conn.execute(
                    "INSERT INTO messages (session_pk, ordinal, role, content, ts, chain_hash) VALUES (%s, %s, 'user', 'x', %s, 'h')",
                    (pks[sid], ordinal, ts),
                )
        seq_before = dict(conn.execute("SELECT session_id, change_seq FROM sessions").fetchall())

        assert [m.name for m in apply_the_rest()][0] == "times_in_range"  # then any later ones
        conn.execute("SET search_path = av")
        times = conn.execute(
            "SELECT s.session_id, m.ordinal, m.ts::text FROM messages m JOIN sessions s ON s.id = m.session_pk "
            "ORDER BY 1, 2"
        ).fetchall()
        sessions = conn.execute(
            "SELECT session_id, started_at::text, ended_at::text, last_activity IS NOT NULL, change_seq "
            "FROM sessions ORDER BY 1"
        ).fetchall()
        counts = conn.execute(
            "SELECT what, rows_changed FROM data_repairs WHERE migration = 11 ORDER BY 1"
        ).fetchall()

    fine = "2026-11-01 10:00:00+00"
    assert times == [
        ("fine", 0, fine),
        ("fine", 1, None),
        ("odd", 0, fine),
        ("odd-messages", 0, None),
        ("odd-messages", 1, None),
        ("odd-messages", 2, None),
        ("odd-messages", 3, fine),
    ]
    assert [s[:4] for s in sessions] == [
        ("fine", fine, fine, True),
        ("odd", None, None, True),  # last activity falls back to first_pushed_at
        ("odd-messages", fine, fine, True),
    ]
    seq_after = {s[0]: s[4] for s in sessions}
    assert seq_after["fine"] == seq_before["fine"]  # untouched: not re-indexed
    assert seq_after["odd"] > seq_before["odd"] and seq_after["odd-messages"] > seq_before["odd-messages"]
    assert counts == [
        ("messages.ts outside 1970..2099 set to NULL", 3),
        ("sessions.created_at/started_at/ended_at outside 1970..2099 set to NULL", 1),
    ]


def test_it_waits_for_a_running_index_pass_and_applies_nothing_when_the_wait_is_over(
    empty_db, pg_server, monkeypatch
) -> None:
    """A pass with a snapshot from before 0011 could write index state after 0011 dropped it, and
    0010's incremental indexer would then keep the chunks holding the old times for good: 0011
    takes the indexer's lock first, so it waits for the pass (here, past its lock timeout)."""
    with schema_before("times_in_range", empty_db, pg_server, monkeypatch) as (conn, apply_the_rest):
        with psycopg.connect(empty_db.admin_dsn) as indexer:  # an index pass in its transaction
            indexer.execute("SELECT pg_advisory_xact_lock(hashtext('av.refresh_search'))")
            try:
                apply_the_rest(lock_timeout_ms=300)
            except migrations.MigrationError as err:
                assert "times_in_range" in str(err) and "again" in str(err)
            else:
                raise AssertionError("0011 applied while an index pass held the indexer's lock")
            indexer.rollback()
        applied = conn.execute("SELECT max(version) FROM av.schema_migrations").fetchone()
        assert applied == (10,)
        assert [m.name for m in apply_the_rest()][0] == "times_in_range"  # then any later ones
