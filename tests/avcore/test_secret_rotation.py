"""Rotation without redeploy: secrets held briefly and re-read, a real password change, a cookie key.

Secrets Manager is moto's; the database is the harness's real PostgreSQL, where a login role
of our own (a member of av_ingest, so the shared roles' passwords stay untouched) has its
password changed under a warm app, the way a Secrets Manager rotation function does it.
"""

from __future__ import annotations

import gc
import json
import secrets
from collections.abc import Iterator
from typing import Any

import boto3
import psycopg
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws
from psycopg import sql

from avcore.secrets import CURRENT, PENDING, PREVIOUS, SecretError, SecretStore
from avcore.secrets import store as secret_store
from avcore.settings import IngestSettings, ViewerSettings
from infra.credentials import add_device, add_viewer
from tests.apps import make_session, push_body

ROTATING_ROLE = "av_ingest_rotating"


@pytest.fixture
def aws() -> Iterator[Any]:
    secret_store.clear()
    with mock_aws():
        yield boto3.client("secretsmanager")
    secret_store.clear()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the store ----------------------------------------------------------------------


def test_a_value_is_held_for_its_max_age_then_read_again(aws) -> None:
    arn = aws.create_secret(Name="av/x", SecretString="one")["ARN"]
    clock = Clock()
    store = SecretStore(max_age_s=60, clock=clock)
    assert store.current(arn) == "one"
    aws.put_secret_value(SecretId=arn, SecretString="two")
    clock.now += 59
    assert store.current(arn) == "one" and store.reads == 1  # still held
    clock.now += 2
    assert store.current(arn) == "two" and store.reads == 2  # old enough: read again
    aws.put_secret_value(SecretId=arn, SecretString="three")
    assert store.current(arn, force=True) == "three"  # a caller that was refused reads at once


def test_previous_and_pending_versions_are_read_and_a_missing_stage_is_none(aws) -> None:
    arn = aws.create_secret(Name="av/y", SecretString="first")["ARN"]
    store = SecretStore(max_age_s=0)
    assert store.get(arn, stage=PREVIOUS) is None
    assert store.get(arn, stage=PENDING) is None
    aws.put_secret_value(SecretId=arn, SecretString="second")
    assert (store.get(arn, stage=CURRENT), store.get(arn, stage=PREVIOUS)) == ("second", "first")
    aws.put_secret_value(SecretId=arn, SecretString="third", VersionStages=[PENDING])
    assert (store.get(arn), store.get(arn, stage=PENDING)) == ("second", "third")


def test_errors_name_the_secret_and_never_a_value(aws) -> None:
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:av/none-AbCdEf"
    with pytest.raises(SecretError, match="av/none-AbCdEf.*ResourceNotFound"):
        SecretStore().current(missing)
    binary = aws.create_secret(Name="av/bin", SecretBinary=b"hunter2")["ARN"]
    with pytest.raises(SecretError, match="binary") as err:
        SecretStore().current(binary)
    assert "hunter2" not in str(err.value)


# --- a real database password change ----------------------------------------------------


def _rds_secret_value(pg_server, db, password: str) -> str:
    # The JSON shape RDS and the Secrets Manager PostgreSQL rotation functions read and write.
    return json.dumps(
        {
            "engine": "postgres",
            "username": ROTATING_ROLE,
            "password": password,
            "host": pg_server.host,
            "port": pg_server.port,
            "dbname": db.name,
        }
    )


@pytest.fixture
def rotating_role(db) -> Iterator[str]:
    first = secrets.token_urlsafe(16)
    with db.admin() as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE av_ingest").format(
                sql.Identifier(ROTATING_ROLE), sql.Literal(first)
            )
        )
    yield first
    with db.admin() as conn:
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(ROTATING_ROLE)))


def _set_password(db, password: str) -> None:
    with db.admin() as conn:
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(ROTATING_ROLE), sql.Literal(password))
        )


def _push(client: TestClient, token: str, session_id: str) -> Any:
    return client.post(
        "/v1/push", json=push_body(make_session(session_id)), headers={"Authorization": f"Bearer {token}"}
    )


def test_a_database_password_rotation_costs_a_warm_app_no_503(aws, db, pg_server, rotating_role) -> None:
    from ingest_fn.app import create_app

    arn = aws.create_secret(
        Name="av/ingest-dsn", SecretString=_rds_secret_value(pg_server, db, rotating_role)
    )["ARN"]
    with db.admin() as conn:
        token = add_device(conn, machine="laptop").token
    app = create_app(
        IngestSettings(database_secret_arn=arn, environment="local", device_rate_per_minute=1_000_000)
    )
    client = TestClient(app, base_url="https://testserver")
    try:
        assert _push(client, token, "s1").status_code == 200

        # 1. The rotation function's finishing step: the server and AWSCURRENT both have the new one.
        second = secrets.token_urlsafe(16)
        _set_password(db, second)
        aws.put_secret_value(SecretId=arn, SecretString=_rds_secret_value(pg_server, db, second))
        assert _push(client, token, "s2").status_code == 200  # the open connection is unaffected
        app.state.db.close()  # the next request needs a new connection, with the held (old) password
        reads = secret_store.reads
        pushed = _push(client, token, "s3")
        assert pushed.status_code == 200, pushed.text
        assert secret_store.reads == reads + 1  # refused once, read again at once, connected

        # 2. Mid-rotation (single user): the server has the new password, AWSCURRENT not yet.
        third = secrets.token_urlsafe(16)
        _set_password(db, third)
        aws.put_secret_value(
            SecretId=arn, SecretString=_rds_secret_value(pg_server, db, third), VersionStages=[PENDING]
        )
        app.state.db.close()
        pushed = _push(client, token, "s4")
        assert pushed.status_code == 200, pushed.text

        # 3. Neither works: a 503 that says so, with Retry-After and no password in it.
        _set_password(db, secrets.token_urlsafe(16))
        app.state.db.close()
        refused = _push(client, token, "s5")
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert third not in refused.text and second not in refused.text
    finally:
        app.state.db.close()


# --- the viewer's cookie key ----------------------------------------------------------------


def test_a_cookie_key_rotation_logs_nobody_out_and_needs_no_redeploy(aws, db) -> None:
    from viewer_fn.app import create_app

    first, second, third = (secrets.token_urlsafe(40) for _ in range(3))
    arn = aws.create_secret(Name="av/session-key", SecretString=first)["ARN"]
    with db.admin() as conn:
        viewer_token = add_viewer(conn, name="me").token
    app = create_app(
        ViewerSettings(
            database_url=db.viewer_dsn, session_secret_arn=arn, secret_max_age_s=0, environment="local"
        )
    )

    def login() -> TestClient:
        browser = TestClient(app, base_url="https://testserver")
        assert browser.post("/api/v1/auth/login", json={"token": viewer_token}).status_code == 200
        return browser

    try:
        before = login()
        assert before.get("/api/v1/auth/me").status_code == 200
        aws.put_secret_value(SecretId=arn, SecretString=second)  # rotated: `first` is now AWSPREVIOUS
        assert before.get("/api/v1/auth/me").status_code == 200  # still logged in
        after = login()
        assert after.cookies["av_session"] != before.cookies["av_session"]  # signed with the new key
        assert after.get("/api/v1/auth/me").status_code == 200
        aws.put_secret_value(SecretId=arn, SecretString=third)  # `first` is retired
        assert before.get("/api/v1/auth/me").status_code == 401  # log in again; never a 503
        assert after.get("/api/v1/auth/me").status_code == 200
    finally:
        app.state.db.close()


def test_the_cookie_key_is_read_by_the_first_request_that_needs_it(aws, db) -> None:
    """Not at the cold start (boto3's import and client, ~150-260 ms on this machine): the page does not read it."""
    from viewer_fn.app import create_app

    arn = aws.create_secret(Name="av/session-key", SecretString=secrets.token_urlsafe(40))["ARN"]
    with db.admin() as conn:
        viewer_token = add_viewer(conn, name="me").token
    app = create_app(ViewerSettings(database_url=db.viewer_dsn, session_secret_arn=arn, environment="local"))
    try:
        browser = TestClient(app, base_url="https://testserver")
        assert secret_store.reads == 0
        assert browser.get("/").status_code == 200
        assert secret_store.reads == 0
        assert browser.post("/api/v1/auth/login", json={"token": viewer_token}).status_code == 200
        assert secret_store.reads == 2  # the current key and the previous one (none yet)
        assert browser.get("/api/v1/auth/me").status_code == 200
    finally:
        app.state.db.close()


def test_an_unusable_cookie_key_is_a_503_naming_the_setting_and_a_server_does_not_start(
    aws, db, monkeypatch
) -> None:
    from viewer_fn.app import create_app, serving_app

    arn = aws.create_secret(Name="av/short-key", SecretString="too-short")["ARN"]
    with db.admin() as conn:
        viewer_token = add_viewer(conn, name="me").token
    app = create_app(ViewerSettings(database_url=db.viewer_dsn, session_secret_arn=arn, environment="local"))
    try:
        browser = TestClient(app, base_url="https://testserver")
        assert browser.get("/").status_code == 200  # the page needs no key
        for answer in (
            browser.post("/api/v1/auth/login", json={"token": viewer_token}),
            browser.get("/api/v1/sessions", headers={"cookie": "av_session=x"}),
        ):
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"] == (
                "the setting AV_SESSION_SECRET_ARN is unusable: the key in its secret is too short; "
                "it needs at least 32 characters; see the function's log"
            )
            assert "too-short" not in answer.text and "av/short-key" not in answer.text
            assert "retry-after" not in answer.headers  # an operator's fault: no retry will mend it
    finally:
        app.state.db.close()

    # A long-running server (the local stack's servers) reads it at its start, and refuses to start.
    monkeypatch.setenv("AV_DATABASE_URL", db.viewer_dsn)
    monkeypatch.setenv("AV_SESSION_SECRET_ARN", arn)
    monkeypatch.setenv("AV_ENVIRONMENT", "local")
    monkeypatch.delenv("AV_SESSION_SECRET", raising=False)
    try:
        with pytest.raises(SecretError, match="^AV_SESSION_SECRET_ARN: the secret .*av/short-key.*too short"):
            serving_app()
    finally:
        gc.unfreeze()  # serving_app settles its process (avcore.runtime); this one goes on testing


def test_the_rotating_role_is_really_refused_with_an_old_password(db, pg_server, rotating_role) -> None:
    """The premise of the rotation test: the server does refuse the old password."""
    _set_password(db, "new-" + rotating_role)
    dsn = pg_server.dsn(db.name, role="admin")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            f"host={pg_server.host} port={pg_server.port} dbname={db.name} user={ROTATING_ROLE} "
            f"password={rotating_role}"
        )
    assert dsn
