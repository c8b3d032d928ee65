"""The ingest Lambda handler, invoked with API Gateway HTTP API v2 events."""

from __future__ import annotations

import importlib

from avcore.schema import SCHEMA_VERSION
from tests.apps import make_session, push_body
from tests.lambda_events import FakeContext, gzip_json, http_v2_event, response_json


def _handler(monkeypatch, dsn: str):
    monkeypatch.setenv("AV_DATABASE_URL", dsn)
    monkeypatch.setenv("AV_ENVIRONMENT", "production")
    import ingest_fn.handler

    return importlib.reload(ingest_fn.handler)


def test_handler_accepts_a_gzip_base64_push_and_reuses_its_connection(monkeypatch, db) -> None:
    from infra.credentials import add_device

    with db.admin() as conn:
        token = add_device(conn, machine="lambda-box").token
    module = _handler(monkeypatch, db.ingest_dsn)
    headers = {
        "authorization": f"Bearer {token}",
        "content-type": "application/json",
        "content-encoding": "gzip",
    }
    first = module.handler(
        http_v2_event("POST", "/v1/push", headers=headers, body=gzip_json(push_body(make_session("l1")))),
        FakeContext(),
    )
    assert first["statusCode"] == 200, first
    assert response_json(first)["results"][0]["status"] == "applied"
    with db.admin() as conn:
        pids = {
            r[0]
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE usename = 'av_ingest' AND datname = current_database()"
            )
        }
    second = module.handler(
        http_v2_event("POST", "/v1/push", headers=headers, body=gzip_json(push_body(make_session("l2")))),
        FakeContext(),
    )
    assert response_json(second)["results"][0]["status"] == "applied"
    with db.admin() as conn:
        pids_after = {
            r[0]
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE usename = 'av_ingest' AND datname = current_database()"
            )
        }
        # the broken-connection path: kill the backend, the next invocation reconnects
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'av_ingest' "
            "AND datname = current_database()"
        )
    assert pids == pids_after and len(pids) == 1
    module.app.state.db._idle = [(c, 0.0) for c, _ in module.app.state.db._idle]  # force the idle probe
    third = module.handler(
        http_v2_event("POST", "/v1/push", headers=headers, body=gzip_json(push_body(make_session("l3")))),
        FakeContext(),
    )
    assert third["statusCode"] == 200 and response_json(third)["results"][0]["status"] == "applied"
    with db.admin() as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 3
    module.app.state.db.close()


def test_handler_refuses_without_token_and_bad_gzip(monkeypatch, db) -> None:
    module = _handler(monkeypatch, db.ingest_dsn)
    r = module.handler(
        http_v2_event("POST", "/v1/push", headers={"content-type": "application/json"}, body=b"{}"),
        FakeContext(),
    )
    assert r["statusCode"] == 401 and response_json(r)["ok"] is False
    r = module.handler(
        http_v2_event(
            "POST",
            "/v1/push",
            headers={
                "authorization": "Bearer avd_x",
                "content-type": "application/json",
                "content-encoding": "gzip",
            },
            body=b"not gzip",
        ),
        FakeContext(),
    )
    assert r["statusCode"] == 401  # authentication is checked before the body is read
    r = module.handler(http_v2_event("GET", "/v1/health"), FakeContext())
    assert r["statusCode"] == 200 and response_json(r)["ok"] is True
    module.app.state.db.close()


def test_handler_refuses_to_serve_an_unmigrated_database(monkeypatch, empty_db) -> None:
    from infra.credentials import add_device  # noqa: F401 - nothing to enroll: no schema

    module = _handler(monkeypatch, empty_db.admin_dsn)
    r = module.handler(
        http_v2_event(
            "POST",
            "/v1/push",
            headers={"authorization": "Bearer avd_" + "A" * 38, "content-type": "application/json"},
            body=b"{}",
        ),
        FakeContext(),
    )
    assert r["statusCode"] == 503
    assert (
        f"schema version {SCHEMA_VERSION}" in response_json(r)["error"]
        and "none" in response_json(r)["error"]
    )
    module.app.state.db.close()


def test_a_forged_x_forwarded_for_spends_only_the_forger_s_failed_login_budget(monkeypatch, db) -> None:
    # API Gateway appends the real address to whatever X-Forwarded-For the client sent, and
    # passes the real one as sourceIp: only that can count failures.
    from infra.credentials import add_device

    with db.admin() as conn:
        token = add_device(conn, machine="victim").token
    monkeypatch.setenv("AV_AUTH_FAILURES_PER_WINDOW", "3")
    module = _handler(monkeypatch, db.ingest_dsn)

    def status(auth: str, source: str, forwarded: str) -> int:
        event = http_v2_event(
            "GET", "/v1/status", headers={"authorization": auth, "x-forwarded-for": forwarded}
        )
        event["requestContext"]["http"]["sourceIp"] = source
        return module.handler(event, FakeContext())["statusCode"]

    victim, attacker = "198.51.100.7", "203.0.113.66"
    wrong = "Bearer avd_" + "B" * 38
    assert [status(wrong, attacker, f"{victim}, {attacker}") for _ in range(4)] == [401, 401, 401, 429]
    assert status(f"Bearer {token}", victim, victim) == 200  # the victim is not locked out
    # and rotating the forged hop does not buy the attacker more guesses
    assert {status(wrong, attacker, f"10.9.{i}.1, {attacker}") for i in range(5)} == {429}
    module.app.state.db.close()
