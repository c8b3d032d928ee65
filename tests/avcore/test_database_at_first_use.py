"""The database settings are read by the first request that needs the database, not at the cold
start (avcore.db.pool; docs/deployment.md, "Cold start"): a handler with an unusable DSN starts,
and every answer that needs the database is a 503 naming the setting, never the DSN or its host;
the ingest's health says so before any push; a long-running server still refuses to start."""

from __future__ import annotations

import base64
import gc
import importlib
import io
import json
import logging
from collections.abc import Iterator
from types import ModuleType

import pytest

from avcore.db.pool import DatabaseMisconfigured
from avcore.logs import JsonFormatter
from tests.lambda_events import FakeContext, http_v2_event

PASSWORD = "hunter2-not-shown"
HOST = "db.internal.example.com"
UNUSABLE = {
    # libpq cannot parse it ("missing '=' after ..."); the fragment it quotes may be a password
    "unparseable": f"host={HOST} password={PASSWORD} port",
    # a remote database without TLS: the TLS policy refuses it (AV_DB_ALLOW_INSECURE not set)
    "without TLS": f"postgresql://av_ingest:{PASSWORD}@{HOST}/av?sslmode=disable",
    # libpq parses it, and refuses it only when connecting ("invalid integer value")
    "port not a number": f"host={HOST} password={PASSWORD} port=abc dbname=av",
    # a digit to str.isdigit() that int() refuses: must be the same refusal, not a 500
    "port a superscript digit": f"host={HOST} password={PASSWORD} port=\u00b2 dbname=av",
}
# What the answer says is wrong, after "the database setting AV_DATABASE_URL is unusable: ".
PROBLEMS = {
    "unparseable": "not a valid PostgreSQL connection string",
    "without TLS": (
        "its sslmode=disable lets the connection to a remote database fall back to plaintext; "
        "use sslmode=verify-full, or set AV_DB_ALLOW_INSECURE=true"
    ),
    "port not a number": "not a valid PostgreSQL connection string",
    "port a superscript digit": "not a valid PostgreSQL connection string",
}
SESSION_SECRET = "s" * 40


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("av")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def handler(monkeypatch: pytest.MonkeyPatch, name: str, dsn: str) -> ModuleType:
    """The Lambda handler module, imported afresh (a cold start) with ``dsn`` in the environment."""
    monkeypatch.setenv("AV_DATABASE_URL", dsn)
    monkeypatch.setenv("AV_ENVIRONMENT", "production")
    monkeypatch.setenv("AV_SESSION_SECRET", SESSION_SECRET)
    module = importlib.import_module(name)
    try:
        return importlib.reload(module)
    finally:
        gc.unfreeze()  # the handler settles its process (avcore.runtime); this one goes on testing


def answer(module: ModuleType, method: str, path: str, token: str = "") -> tuple[int, dict[str, str], str]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = json.dumps({"token": "avv_" + "y" * 40}).encode() if method == "POST" else None
    reply = module.handler(
        http_v2_event(method, path, headers={"content-type": "application/json", **headers}, body=body),
        FakeContext(),
    )
    text = base64.b64decode(reply["body"]).decode() if reply.get("isBase64Encoded") else reply["body"]
    return reply["statusCode"], reply["headers"], text


def assert_names_the_setting(kind: str, status: int, headers: dict[str, str], body: str) -> None:
    assert status == 503, body
    error = json.loads(body)["error"]
    assert (
        error == f"the database setting AV_DATABASE_URL is unusable: {PROBLEMS[kind]}; see the function's log"
    )
    assert PASSWORD not in body and HOST not in body and "hunter2" not in body
    # a fault for an operator, not a moment's outage: no Retry-After stretching a client's retries
    assert "retry-after" not in headers
    assert headers["x-request-id"]


@pytest.mark.parametrize("kind", sorted(UNUSABLE))
def test_the_ingest_starts_with_an_unusable_dsn_and_names_it_on_first_use(
    monkeypatch: pytest.MonkeyPatch, logged: io.StringIO, kind: str
) -> None:
    module = handler(monkeypatch, "ingest_fn.handler", UNUSABLE[kind])
    assert_names_the_setting(kind, *answer(module, "GET", "/v1/health"))
    assert_names_the_setting(kind, *answer(module, "POST", "/v1/plan", token="avd_" + "x" * 40))
    lines = [json.loads(line) for line in logged.getvalue().splitlines()]
    problems = [line for line in lines if line["msg"] == "database settings unusable"]
    assert len(problems) == 2 and problems[0]["setting"] == "AV_DATABASE_URL"
    assert PASSWORD not in logged.getvalue()


@pytest.mark.parametrize("kind", sorted(UNUSABLE))
def test_the_viewer_starts_with_an_unusable_dsn_serves_its_page_and_names_it_on_first_use(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    module = handler(monkeypatch, "viewer_fn.handler", UNUSABLE[kind])
    status, _, _ = answer(module, "GET", "/")
    assert status == 200  # the page needs no database
    assert_names_the_setting(kind, *answer(module, "GET", "/api/v1/sessions", token="avv_" + "x" * 40))
    assert_names_the_setting(kind, *answer(module, "POST", "/api/v1/auth/login"))


@pytest.mark.parametrize("name", ["ingest_fn.app", "viewer_fn.app"])
def test_a_long_running_server_with_an_unusable_dsn_does_not_start(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("AV_DATABASE_URL", UNUSABLE["without TLS"])
    monkeypatch.setenv("AV_SESSION_SECRET", SESSION_SECRET)
    serving_app = importlib.import_module(name).serving_app
    try:
        with pytest.raises(DatabaseMisconfigured, match="^AV_DATABASE_URL: refusing to connect"):
            serving_app()
    finally:
        gc.unfreeze()


def test_a_connection_lost_mid_request_is_a_503_worth_a_retry(apps) -> None:  # type: ignore[no-untyped-def]
    """psycopg's OperationalError, told apart without an exception handler that would import
    psycopg at the cold start (avcore.web): the server ended the pooled connection."""
    assert apps.view("/api/v1/sessions").status_code == 200  # the viewer now holds a connection
    with apps.db.admin() as conn:
        ended = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'av-viewer' "
            "AND datname = current_database()"
        ).fetchone()
    assert ended == (1,)
    lost = apps.view("/api/v1/sessions")
    assert lost.status_code == 503
    assert lost.json()["error"] == "the database connection was lost; retry the request"
    assert lost.headers["retry-after"] == "2" and lost.headers["x-request-id"]
    assert apps.view("/api/v1/sessions").status_code == 200  # the retry gets a fresh connection
