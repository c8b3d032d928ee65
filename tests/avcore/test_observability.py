"""Structured logs with request ids, and metrics CloudWatch can read from them (EMF).

The lines are read as CloudWatch would: the JSON text the formatter writes, not the Python
log records, because that text is what becomes a log event and (with ``_aws``) metrics.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from avcore.logs import JsonFormatter
from tests.apps import make_session, push_body
from tests.lambda_events import FakeContext, gzip_json, http_v2_event


@pytest.fixture
def lines() -> Iterator[list[dict[str, Any]]]:
    """Every line the "av" loggers write, as the JSON objects CloudWatch would receive."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("av")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    parsed: list[dict[str, Any]] = []
    yield parsed
    logger.removeHandler(handler)
    logger.setLevel(level)


def _read(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    handler = next(h for h in logging.getLogger("av").handlers if isinstance(h.formatter, JsonFormatter))
    stream = handler.stream  # type: ignore[attr-defined]
    lines[:] = [json.loads(text) for text in stream.getvalue().splitlines()]
    return lines


def assert_emf(line: dict[str, Any]) -> dict[str, Any]:
    """Check one line is what CloudWatch's embedded metric format requires; return its directive."""
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "av-cloud"
    assert isinstance(line["_aws"]["Timestamp"], int)
    for dimension_set in directive["Dimensions"]:
        for name in dimension_set:
            assert isinstance(line[name], str), f"dimension {name} must be a string member of the line"
    for metric in directive["Metrics"]:
        assert isinstance(line[metric["Name"]], int | float), f"metric {metric['Name']} has no number"
    return dict(directive)


def _handler(monkeypatch, dsn: str):
    monkeypatch.setenv("AV_DATABASE_URL", dsn)
    monkeypatch.setenv("AV_ENVIRONMENT", "production")
    import ingest_fn.handler

    return importlib.reload(ingest_fn.handler)


def test_a_push_through_lambda_logs_its_ids_and_counts(monkeypatch, db, lines) -> None:
    from infra.credentials import add_device

    with db.admin() as conn:
        token = add_device(conn, machine="laptop").token
    module = _handler(monkeypatch, db.ingest_dsn)
    headers = {
        "authorization": f"Bearer {token}",
        "content-type": "application/json",
        "content-encoding": "gzip",
    }
    body = gzip_json(push_body(make_session("s1"), make_session("s2")))
    try:
        answer = module.handler(http_v2_event("POST", "/v1/push", headers=headers, body=body), FakeContext())
        assert answer["statusCode"] == 200
        refused = module.handler(
            http_v2_event(
                "POST", "/v1/push", headers={**headers, "authorization": "Bearer avd_nope"}, body=body
            ),
            FakeContext(aws_request_id="req-2"),
        )
        assert refused["statusCode"] == 401
    finally:
        module.app.state.db.close()
    _read(lines)
    (request,) = [line for line in lines if line["msg"] == "request" and line["status"] == 200]
    assert request["lambda_request_id"] == "req-1" and request["cold_start"] is True
    assert request["request_id"] == answer["headers"]["x-request-id"]
    (push,) = [line for line in lines if line["msg"] == "push"]
    assert assert_emf(push)["Dimensions"] == [[]]
    assert (push["Pushes"], push["SessionsApplied"], push["SessionsRejected"]) == (1, 2, 0)
    (refusal,) = [line for line in lines if line["msg"] == "refused"]
    assert assert_emf(refusal)["Dimensions"] == [["Status"]]
    assert refusal["Status"] == "401" and refusal["RejectedRequests"] == 1
    assert refusal["lambda_request_id"] == "req-2"
    later = [line for line in lines if line["msg"] == "request" and line["status"] == 401]
    assert later[0]["cold_start"] is False
    assert token not in json.dumps(lines)


def test_the_indexer_reports_how_long_the_oldest_change_has_waited(db, lines) -> None:
    from avcore.settings import IngestSettings
    from ingest_fn.indexer import database, refresh
    from tests.apps import build_apps

    apps = build_apps(db)
    try:
        assert apps.push(make_session("waiting")).status_code == 200
    finally:
        apps.ingest.app.state.db.close()
        apps.viewer.app.state.db.close()
    with db.admin() as conn:
        conn.execute("UPDATE sessions SET updated_at = now() - interval '300 seconds'")
    indexer = database(IngestSettings(database_url=db.ingest_dsn, environment="local"))
    try:
        idle = refresh(indexer, budget_s=0)  # no batch runs: the change still waits
        assert idle.indexed == 0 and 299 <= idle.lag_s < 400
        done = refresh(indexer, budget_s=30)
        assert done.indexed == 1 and done.lag_s == 0
    finally:
        indexer.close()
    passes = [line for line in _read(lines) if line["msg"] == "search index refreshed"]
    assert [round(p["IndexerLagSeconds"], -2) for p in passes] == [300, 0]
    for line in passes:
        directive = assert_emf(line)
        assert {"Name": "IndexerLagSeconds", "Unit": "Seconds"} in directive["Metrics"]


def test_an_unhandled_error_answers_with_its_request_id_and_logs_it(lines) -> None:
    """A route that raises: the 500 carries the X-Request-Id its message points to and the
    security headers, and the error's log line (with the traceback) carries the same id
    (avcore.web answers it inside the request middleware, not the server's last resort)."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from avcore.web import install_error_handling, install_request_middleware

    app = FastAPI()
    install_error_handling(app, component="test")
    install_request_middleware(app, component="test")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom", headers={"X-Request-Id": "bug-1"})
    assert answer.status_code == 500
    assert answer.json()["error"] == "internal error; the request id is in the X-Request-Id header"
    assert answer.headers["x-request-id"] == "bug-1"
    assert answer.headers["x-frame-options"] == "DENY"
    (error,) = [line for line in _read(lines) if line["msg"] == "unhandled error"]
    assert error["request_id"] == "bug-1" and error["level"] == "ERROR"
    assert "RuntimeError: a bug" in error["exc"]
