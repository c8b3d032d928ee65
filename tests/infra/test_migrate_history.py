"""Migration history_kept: tombstones from the old delete-on-disappear behaviour, on real rows."""

from __future__ import annotations

from tests.infra.migration_steps import schema_before

TOMBSTONE = "UPDATE sessions SET deleted_at = %s, fingerprint = '', message_count = 0 WHERE session_id = %s"


def test_old_tombstones_are_marked_legacy_and_live_sessions_untouched(
    empty_db, pg_server, monkeypatch
) -> None:
    # the schema as a release before history was kept left it
    with schema_before("history_kept", empty_db, pg_server, monkeypatch) as (conn, apply_the_rest):
        conn.execute("SET search_path = av")
        machine = conn.execute("INSERT INTO machines (name) VALUES ('laptop') RETURNING id").fetchone()[0]
        for sid in ("live", "cleaned-up"):
            conn.execute(
                "INSERT INTO sessions (machine_id, session_id, agent, fingerprint) VALUES (%s, %s, 'claude', 'f')",
                (machine, sid),
            )
        conn.execute(TOMBSTONE, ("2026-11-01T00:00:00Z", "cleaned-up"))

        assert [m.name for m in apply_the_rest()][0] == "history_kept"
        conn.execute("SET search_path = av")
        rows = conn.execute(
            "SELECT session_id, deleted_by, gone_locally_at IS NOT NULL, gone_locally_at = deleted_at "
            "FROM sessions ORDER BY session_id"
        ).fetchall()
    assert rows == [("cleaned-up", "legacy", True, True), ("live", None, False, None)]
