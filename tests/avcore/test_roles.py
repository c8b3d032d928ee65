"""Least privilege on a real migrated database: the reader cannot write, the writer
cannot touch credentials, migrations or DDL."""

from __future__ import annotations

import hashlib

import psycopg
import pytest
from psycopg import errors

from infra.roles import ensure_roles


def _machine(db) -> int:
    with db.admin() as conn:
        return conn.execute("INSERT INTO av.machines (name) VALUES ('laptop') RETURNING id").fetchone()[0]


def _device(db, machine_id: int) -> int:
    with db.admin() as conn:
        return conn.execute(
            "INSERT INTO av.devices (machine_id, name, token_hash, token_hint) VALUES (%s, 'd', %s, 'avd_x') "
            "RETURNING id",
            (machine_id, hashlib.sha256(b"t").digest()),
        ).fetchone()[0]


def _insert_session(conn: psycopg.Connection, machine_id: int, session_id: str = "s1") -> int:
    return conn.execute(
        "INSERT INTO av.sessions (machine_id, session_id, agent, fingerprint) VALUES (%s, %s, 'claude', 'f') "
        "RETURNING id",
        (machine_id, session_id),
    ).fetchone()[0]


# --- the viewer ---------------------------------------------------------------------


def test_viewer_insert_is_refused_by_the_read_only_default(db) -> None:
    with psycopg.connect(db.viewer_dsn) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        with pytest.raises((errors.ReadOnlySqlTransaction, errors.InsufficientPrivilege)):
            conn.execute("INSERT INTO av.machines (name) VALUES ('evil')")
    with db.admin() as admin:
        assert admin.execute("SELECT count(*) FROM av.machines").fetchone() == (0,)


def test_viewer_insert_is_refused_even_in_a_read_write_transaction(db) -> None:
    with psycopg.connect(db.viewer_dsn, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("INSERT INTO av.machines (name) VALUES ('evil')")
        with conn.transaction():
            conn.execute("SET TRANSACTION READ WRITE")
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute("INSERT INTO av.machines (name) VALUES ('evil')")
            raise psycopg.Rollback
        # explicit BEGIN READ WRITE, as a bug (or an attacker with SQL) might issue it
        conn.execute("BEGIN READ WRITE")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("INSERT INTO av.machines (name) VALUES ('evil')")
        conn.execute("ROLLBACK")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE av.sessions SET agent = 'x'",
        "DELETE FROM av.sessions",
        "INSERT INTO av.viewer_credentials (name, token_hash, token_hint) VALUES ('x', '\\x00', 'x')",
        "UPDATE av.devices SET revoked_at = now()",
        "CREATE TABLE av.evil (x int)",
        "CREATE TABLE public.evil (x int)",
    ],
)
def test_viewer_cannot_write_anything_even_read_write(db, statement: str) -> None:
    with psycopg.connect(db.viewer_dsn, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)


def test_viewer_can_read_sessions(db) -> None:
    machine_id = _machine(db)
    with psycopg.connect(db.ingest_dsn, autocommit=True) as conn:
        _insert_session(conn, machine_id, "visible")
    with psycopg.connect(db.viewer_dsn) as conn:
        rows = conn.execute("SELECT session_id, agent FROM av.sessions").fetchall()
        assert rows == [("visible", "claude")]
        # and, via the role's search_path, unqualified
        assert conn.execute("SELECT count(*) FROM sessions").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM av.viewer_credentials").fetchone() == (0,)


# --- the writer ---------------------------------------------------------------------


def test_ingest_can_write_the_session_tables(db) -> None:
    machine_id = _machine(db)
    device_id = _device(db, machine_id)
    with psycopg.connect(db.ingest_dsn, autocommit=True) as conn, conn.transaction():
        pk = _insert_session(conn, machine_id)
        conn.execute(
            "INSERT INTO av.messages (session_pk, ordinal, role, content, chain_hash) VALUES (%s, 0, 'user', 'hi', 'h')",
            (pk,),
        )
        conn.execute(
            "INSERT INTO av.tool_calls (session_pk, message_ordinal, call_index, tool_name) VALUES (%s, 0, 0, 'Bash')",
            (pk,),
        )
        conn.execute(
            "INSERT INTO av.ingest_requests (device_id, request_id, response) VALUES (%s, 'r1', '{}')",
            (device_id,),
        )
        conn.execute("UPDATE av.sessions SET message_count = 1 WHERE id = %s", (pk,))
        conn.execute("UPDATE av.machines SET last_push_at = now() WHERE id = %s", (machine_id,))
        conn.execute("UPDATE av.devices SET last_seen_at = now() WHERE id = %s", (device_id,))
    with db.admin() as admin:
        assert admin.execute("SELECT message_count, change_seq > 0 FROM av.sessions").fetchone() == (1, True)
        assert admin.execute("SELECT count(*) FROM av.messages").fetchone() == (1,)
        assert admin.execute("SELECT count(*) FROM av.tool_calls").fetchone() == (1,)
        assert admin.execute("SELECT count(*) FROM av.ingest_requests").fetchone() == (1,)
    with psycopg.connect(db.ingest_dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM av.tool_calls")
        conn.execute("DELETE FROM av.messages")


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO av.schema_migrations (version, name, checksum) VALUES (99, 'evil', 'x')",
        "UPDATE av.schema_migrations SET checksum = 'x'",
        "INSERT INTO av.viewer_credentials (name, token_hash, token_hint) VALUES ('x', '\\x00', 'x')",
        "UPDATE av.viewer_credentials SET revoked_at = NULL",
        "INSERT INTO av.machines (name) VALUES ('new')",
        "INSERT INTO av.meta (key, value) VALUES ('k', 'v')",
        "CREATE TABLE av.evil (x int)",
        "CREATE TABLE public.evil (x int)",
        "DROP TABLE av.sessions",
        "TRUNCATE av.sessions",
    ],
)
def test_ingest_cannot_touch_what_it_does_not_own(db, statement: str) -> None:
    with psycopg.connect(db.ingest_dsn, autocommit=True) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)


def test_ingest_can_read_viewer_credentials_but_not_write_them(db) -> None:
    with psycopg.connect(db.ingest_dsn, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM av.viewer_credentials").fetchone() == (0,)
        assert conn.execute("SELECT max(version) FROM av.schema_migrations").fetchone()[0] >= 1


# --- ensure_roles ---------------------------------------------------------------------


def _role_state(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, "
        "array(SELECT unnest(setconfig) ORDER BY 1) "
        "FROM pg_roles r LEFT JOIN pg_db_role_setting s ON s.setrole = r.oid AND s.setdatabase = 0 "
        "WHERE rolname IN ('av_owner', 'av_ingest', 'av_viewer') ORDER BY rolname"
    ).fetchall()


def test_ensure_roles_is_idempotent(db, pg_server) -> None:
    with db.admin() as conn:
        before = _role_state(conn)
        ensure_roles(conn)
        ensure_roles(conn)
        after = _role_state(conn)
        ensure_roles(
            conn, ingest_password=pg_server.ingest_password, viewer_password=pg_server.viewer_password
        )
        assert _role_state(conn) == after
    assert after == before
    by_name = {row[0]: row for row in after}
    assert by_name["av_owner"][1:5] == (False, False, False, False)
    assert by_name["av_ingest"][1:5] == (True, False, False, False)
    assert by_name["av_viewer"][1:5] == (True, False, False, False)
    assert "default_transaction_read_only=on" in by_name["av_viewer"][5]
    assert "search_path=av" in by_name["av_ingest"][5]
    # passwords were kept (None means "leave alone"), and the privileges still hold
    with psycopg.connect(db.viewer_dsn) as conn:
        with pytest.raises((errors.ReadOnlySqlTransaction, errors.InsufficientPrivilege)):
            conn.execute("INSERT INTO av.machines (name) VALUES ('evil')")
    machine_id = _machine(db)
    with psycopg.connect(db.ingest_dsn, autocommit=True) as conn:
        assert _insert_session(conn, machine_id) > 0
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.evil (x int)")


def test_the_viewer_role_holds_no_write_privilege_anywhere(db) -> None:
    """Not a list of statements tried: every table, sequence and security-definer function in
    the schema, as PostgreSQL itself answers for av_viewer (issue 11, the probes that held)."""
    with psycopg.connect(db.admin_dsn) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'av' AND c.relkind IN ('r', 'p')"
        ).fetchone()[0]
        writable = conn.execute(
            "SELECT c.relname, p FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, "
            "unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p "
            "WHERE n.nspname = 'av' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
            "AND has_table_privilege('av_viewer', c.oid, p)"
        ).fetchall()
        sequences = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'av' AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege('av_viewer', c.oid, 'UPDATE') "
            "ELSE false END"
        ).fetchall()
        definers = conn.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'av' AND p.prosecdef AND has_function_privilege('av_viewer', p.oid, 'EXECUTE')"
        ).fetchall()
        schema_create = conn.execute("SELECT has_schema_privilege('av_viewer', 'av', 'CREATE')").fetchone()[0]
        read_only = conn.execute(
            "SELECT setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
            "WHERE r.rolname = 'av_viewer'"
        ).fetchone()[0]
    assert tables >= 10
    assert writable == [] and sequences == [] and definers == [] and schema_create is False
    assert "default_transaction_read_only=on" in read_only
