"""The policy and the pool against a real PostgreSQL with TLS on (tests/pg.py)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from avcore.db import policy, pool
from avcore.db.policy import InsecureConnectionError, check_connected, plan_connection
from avcore.db.pool import Database, DatabaseUnavailable
from avcore.schema import SCHEMA_VERSION, SchemaMismatch
from infra.local.ca import LocalCA

WRONG_PASSWORD = "Wr0ngPw-S3cretFrag"


def _ca(pg_server) -> Path:
    if pg_server.ca_cert is None:
        pytest.skip(f"the {pg_server.kind} server has no test CA, so TLS verification cannot be tested")
    return pg_server.ca_cert


def _tls_dsn(db, host: str, ca: Path, **extra: str) -> str:
    return make_conninfo(db.ingest_dsn, host=host, sslmode="verify-full", sslrootcert=str(ca), **extra)


@pytest.fixture
def everything_tcp_is_remote(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the policy treat the test server's loopback address as a remote host."""
    monkeypatch.setattr(policy, "is_local_target", lambda target: not target or target.startswith(("/", "@")))


def _backends(db, application_name: str) -> int:
    with db.admin() as admin:
        return admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            (db.name, application_name),
        ).fetchone()[0]


def _wait_no_backends(db, application_name: str) -> int:
    deadline = time.monotonic() + 5
    while (count := _backends(db, application_name)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


# --- verify-full against the real server ------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_verify_full_connection_uses_tls_and_utc(db, pg_server, host: str) -> None:
    ca = _ca(pg_server)
    database = Database(plan_connection(_tls_dsn(db, host, ca)), component="test")
    try:
        with database.connection() as conn:
            assert conn.pgconn.ssl_in_use is True
            assert conn.execute("SHOW TimeZone").fetchone() == ("UTC",)
            assert conn.execute("SHOW search_path").fetchone() == ("av",)
            assert conn.execute("SELECT current_user").fetchone() == ("av_ingest",)
            assert conn.autocommit is True
            ssl = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
            assert ssl == (True,)
    finally:
        database.close()


def test_utc_even_when_the_role_or_server_says_otherwise(db, pg_server) -> None:
    with db.admin() as admin:
        admin.execute(f"ALTER DATABASE \"{db.name}\" SET TimeZone = 'America/New_York'")
    # a plain connection sees the database default ...
    with psycopg.connect(db.ingest_dsn) as plain:
        assert plain.execute("SHOW TimeZone").fetchone() == ("America/New_York",)
    # ... a planned one is UTC
    database = Database(plan_connection(db.ingest_dsn), component="test")
    try:
        with database.connection() as conn:
            assert conn.execute("SHOW TimeZone").fetchone() == ("UTC",)
            assert conn.execute("SELECT '2024-01-01 00:00:00+00'::timestamptz::text").fetchone() == (
                "2024-01-01 00:00:00+00",
            )
    finally:
        database.close()


def test_wrong_ca_fails_without_leaking_the_password(db, pg_server, tmp_path: Path) -> None:
    _ca(pg_server)
    other = LocalCA(tmp_path / "other-ca")
    other.ensure()
    dsn = _tls_dsn(db, "127.0.0.1", other.ca_cert)
    database = Database(plan_connection(dsn), component="test")
    with pytest.raises(DatabaseUnavailable) as err:
        with database.connection():
            pass
    message = str(err.value)
    assert "127.0.0.1" in message
    assert "certificate" in message.lower()
    assert pg_server.ingest_password not in message
    assert err.value.__suppress_context__


def test_verify_full_refuses_a_name_not_in_the_certificate(db, pg_server) -> None:
    ca = _ca(pg_server)
    # hostaddr sends the bytes to the test server, host is what the certificate must name
    dsn = _tls_dsn(db, "db.example.com", ca, hostaddr="127.0.0.1")
    plan = plan_connection(dsn)
    assert plan.remote_targets == ()  # hostaddr is loopback: local, but verify-full still applies
    with pytest.raises(DatabaseUnavailable, match="db.example.com"):
        with Database(plan, component="test").connection():
            pass


# --- the post-connect check -------------------------------------------------------------


def test_plaintext_to_a_remote_host_is_refused_before_connecting(db, everything_tcp_is_remote) -> None:
    dsn = make_conninfo(db.ingest_dsn, sslmode="disable")
    with pytest.raises(InsecureConnectionError) as err:
        plan_connection(dsn)
    assert "127.0.0.1" in str(err.value)
    assert "AV_DB_ALLOW_INSECURE" in str(err.value)


def test_allow_insecure_connects_in_plaintext_with_a_loud_warning(
    db, everything_tcp_is_remote, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="avcore.db.policy")
    dsn = make_conninfo(db.ingest_dsn, sslmode="disable")
    plan = plan_connection(dsn, allow_insecure=True)
    assert plan.remote_targets == ("127.0.0.1",)
    database = Database(plan, component="test", allow_insecure=True)
    try:
        with database.connection() as conn:
            assert conn.pgconn.ssl_in_use is False
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        database.close()
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    after_connect = [m for m in messages if "connected to PostgreSQL at 127.0.0.1 without TLS" in m]
    assert len(after_connect) == 1
    assert after_connect[0].startswith("INSECURE")
    assert any("refusing to connect" in m and "sslmode=disable" in m for m in messages)
    assert all(db.server.ingest_password not in m for m in messages)


def test_check_connected_refuses_and_closes_a_real_plaintext_connection(db, everything_tcp_is_remote) -> None:
    dsn = make_conninfo(db.ingest_dsn, sslmode="disable")
    plan = plan_connection(dsn, allow_insecure=True)
    conn = psycopg.connect(plan.conninfo())
    try:
        assert conn.pgconn.ssl_in_use is False
        with pytest.raises(InsecureConnectionError, match="127.0.0.1 without TLS") as err:
            check_connected(conn, plan, allow_insecure=False)
        assert "AV_DB_ALLOW_INSECURE" in str(err.value)
        assert conn.closed
    finally:
        conn.close()


def test_check_connected_accepts_a_real_tls_connection_to_a_remote_host(db, everything_tcp_is_remote) -> None:
    plan = plan_connection(make_conninfo(db.ingest_dsn, sslmode="require"))
    conn = psycopg.connect(plan.conninfo())
    try:
        assert conn.pgconn.ssl_in_use is True
        check_connected(conn, plan, allow_insecure=False)
        assert not conn.closed
    finally:
        conn.close()


def test_the_pool_runs_the_post_connect_check(db, everything_tcp_is_remote) -> None:
    # a plan made with allow_insecure, used by a Database that does not allow it
    plan = plan_connection(
        make_conninfo(db.ingest_dsn, sslmode="prefer", application_name="av-test-check"), allow_insecure=True
    )
    # prefer would pick TLS on this server; force plaintext underneath the plan
    plan.params["sslmode"] = "disable"
    database = Database(plan, component="test", allow_insecure=False)
    with pytest.raises(InsecureConnectionError):
        with database.connection():
            pass
    assert _wait_no_backends(db, "av-test-check") == 0


# --- credentials never in errors ----------------------------------------------------------


@pytest.mark.parametrize("where", ["userinfo", "query"])
def test_wrong_password_error_has_no_password(db, pg_server, where: str) -> None:
    host, port = pg_server.host, pg_server.port
    if where == "userinfo":
        dsn = f"postgresql://av_ingest:{WRONG_PASSWORD}@{host}:{port}/{db.name}"
    else:
        dsn = f"postgresql://av_ingest@{host}:{port}/{db.name}?password={WRONG_PASSWORD}"
    for database in (
        Database(plan_connection(dsn), component="test"),
        Database(plan_connection(dsn), component="test", dsn_for_scrubbing=dsn),
    ):
        with pytest.raises(DatabaseUnavailable) as err:
            with database.connection():
                pass
        message = str(err.value)
        assert "password authentication failed" in message
        assert host in message
        assert WRONG_PASSWORD not in message
        assert "S3cretFrag" not in message
        assert "S3cretFrag" not in repr(err.value)


def test_driver_messages_echoing_the_password_are_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    dsn = f"postgresql://u@db.example.com/av?password={WRONG_PASSWORD}"

    def echoing_connect(conninfo: str, **kwargs):
        raise psycopg.OperationalError(f"something went wrong near '{WRONG_PASSWORD}'")

    monkeypatch.setattr(psycopg, "connect", echoing_connect)
    for kwargs in ({}, {"dsn_for_scrubbing": dsn}):
        database = Database(plan_connection(dsn), component="test", **kwargs)
        with pytest.raises(DatabaseUnavailable) as err:
            with database.connection():
                pass
        assert WRONG_PASSWORD not in str(err.value)
        assert "something went wrong near '********'" in str(err.value)
        assert "db.example.com" in str(err.value)


# --- the schema check -------------------------------------------------------------------


def test_unmigrated_database_is_refused_naming_both_versions(empty_db) -> None:
    dsn = make_conninfo(empty_db.admin_dsn, application_name="av-test-schema")
    database = Database(plan_connection(dsn, application_name="av-test-schema"), component="ingest_fn")
    with pytest.raises(SchemaMismatch) as err:
        with database.connection():
            pass
    message = str(err.value)
    assert "ingest_fn" in message
    assert f"version {SCHEMA_VERSION}" in message
    assert "version none" in message
    assert "av-admin migrate" in message
    assert _wait_no_backends(empty_db, "av-test-schema") == 0  # the refused connection was closed


def test_a_newer_expand_only_database_is_served(db) -> None:
    """Migrations go before the code: until the new code is deployed, the old runs on the new schema."""
    with db.admin() as admin:
        admin.execute(
            "INSERT INTO av.schema_migrations (version, name, checksum) VALUES (%s, 'future_expand', 'x')",
            (SCHEMA_VERSION + 1,),
        )
    database = Database(plan_connection(db.ingest_dsn), component="ingest_fn")
    try:
        with database.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        database.close()


def test_a_contract_migration_for_newer_code_is_refused_naming_the_versions(db) -> None:
    with db.admin() as admin:
        admin.execute(
            "INSERT INTO av.schema_migrations (version, name, checksum, code_min) "
            "VALUES (%s, 'future_contract', 'x', %s)",
            (SCHEMA_VERSION + 2, SCHEMA_VERSION + 1),
        )
    database = Database(plan_connection(db.ingest_dsn), component="viewer_fn")
    with pytest.raises(SchemaMismatch) as err:
        with database.connection():
            pass
    message = str(err.value)
    assert "viewer_fn" in message
    assert f"version {SCHEMA_VERSION + 2}" in message
    assert f"built for schema version {SCHEMA_VERSION}" in message
    assert f"built for version {SCHEMA_VERSION + 1} or later" in message and "deploy" in message


def test_an_older_database_is_refused_with_the_fix(db) -> None:
    with db.admin() as admin:
        admin.execute("DELETE FROM av.schema_migrations WHERE version = %s", (SCHEMA_VERSION,))
    database = Database(plan_connection(db.ingest_dsn), component="ingest_fn")
    with pytest.raises(
        SchemaMismatch, match=f"database is at version {SCHEMA_VERSION - 1}; run `av-admin migrate`"
    ):
        with database.connection():
            pass


def test_a_database_migrated_before_schema_ranges_is_read(db) -> None:
    """Without the code_min column (older av-admin), the functions still read the version."""
    with db.admin() as admin:
        admin.execute("ALTER TABLE av.schema_migrations DROP COLUMN code_min")
    database = Database(plan_connection(db.ingest_dsn), component="ingest_fn")
    try:
        with database.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        database.close()


def test_schema_check_can_be_skipped(empty_db) -> None:
    database = Database(plan_connection(empty_db.admin_dsn), component="admin", check_schema=False)
    try:
        with database.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        database.close()


# --- re-opening a dropped connection ------------------------------------------------------


def _terminate(db, pid: int) -> None:
    with db.admin() as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone() == (True,)


def test_a_terminated_connection_is_replaced(db) -> None:
    database = Database(plan_connection(db.ingest_dsn), component="test")
    try:
        with database.connection() as conn:
            first_pid = conn.info.backend_pid
        with database.connection() as conn:
            assert conn.info.backend_pid == first_pid  # pooled: reused while healthy
        _terminate(db, first_pid)

        failures = 0
        for _ in range(2):
            try:
                with database.connection() as conn:
                    new_pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
                break
            except psycopg.OperationalError:
                failures += 1
        else:
            pytest.fail("the pool kept handing out the terminated connection")
        assert failures <= 1
        assert new_pid != first_pid
        with database.connection() as conn:
            assert conn.info.backend_pid == new_pid
            assert conn.execute("SHOW TimeZone").fetchone() == ("UTC",)
    finally:
        database.close()


def test_an_idle_connection_is_probed_and_replaced_transparently(db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "IDLE_PROBE_AFTER_S", -1.0)
    database = Database(plan_connection(db.ingest_dsn), component="test")
    try:
        with database.connection() as conn:
            first_pid = conn.info.backend_pid
        _terminate(db, first_pid)
        with database.connection() as conn:  # must not fail: the probe notices the dead connection
            assert conn.execute("SELECT pg_backend_pid()").fetchone()[0] != first_pid
    finally:
        database.close()


def test_an_open_transaction_is_rolled_back_before_reuse(db) -> None:
    database = Database(plan_connection(db.ingest_dsn), component="test")
    try:
        with database.connection() as conn:
            conn.execute("BEGIN")
            conn.execute("CREATE TEMP TABLE scratch (x int)")
        with database.connection() as conn:
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            assert conn.execute("SELECT to_regclass('pg_temp.scratch')").fetchone() == (None,)
    finally:
        database.close()
