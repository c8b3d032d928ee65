"""BasePath for both functions: behind a custom domain mapped at /av, each answers under it.

API Gateway hands a function the path with the mapping's prefix; a gateway or proxy that strips
it hands the bare path. Both handlers must answer both, and the viewer's links and cookie carry
the prefix. The handlers are the real Lambda entry points, fed API Gateway v2 events.
"""

from __future__ import annotations

import importlib

from tests.apps import SESSION_SECRET, make_session, push_body
from tests.lambda_events import FakeContext, gzip_json, http_v2_event, response_json

BASE = "/av"


def _module(monkeypatch, name: str, dsn: str):
    monkeypatch.setenv("AV_DATABASE_URL", dsn)
    monkeypatch.setenv("AV_ENVIRONMENT", "production")
    monkeypatch.setenv("AV_BASE_PATH", BASE)
    monkeypatch.setenv("AV_SESSION_SECRET", SESSION_SECRET)
    module = importlib.import_module(name)
    return importlib.reload(module)


def test_ingest_answers_under_the_base_path_and_without_it(monkeypatch, db) -> None:
    from infra.credentials import add_device

    with db.admin() as conn:
        token = add_device(conn, machine="laptop").token
    module = _module(monkeypatch, "ingest_fn.handler", db.ingest_dsn)
    headers = {
        "authorization": f"Bearer {token}",
        "content-type": "application/json",
        "content-encoding": "gzip",
    }
    try:
        for path, session in ((f"{BASE}/v1/push", "mapped"), ("/v1/push", "bare")):
            body = gzip_json(push_body(make_session(session)))
            answer = module.handler(http_v2_event("POST", path, headers=headers, body=body), FakeContext())
            assert answer["statusCode"] == 200, (path, answer)
            assert response_json(answer)["results"][0]["status"] == "applied"
        health = module.handler(http_v2_event("GET", f"{BASE}/v1/health"), FakeContext())
        assert health["statusCode"] == 200
        spec = module.handler(http_v2_event("GET", f"{BASE}/v1/openapi.json"), FakeContext())
        assert f"{BASE}/v1/push" in response_json(spec)["paths"]
        # a path that only starts with the same letters is not under the base path
        other = module.handler(http_v2_event("GET", f"{BASE}x/v1/health"), FakeContext())
        assert other["statusCode"] == 404
    finally:
        module.app.state.db.close()


def test_viewer_answers_under_the_base_path_and_its_cookie_and_page_carry_it(monkeypatch, db) -> None:
    from infra.credentials import add_viewer

    with db.admin() as conn:
        token = add_viewer(conn, name="me").token
    module = _module(monkeypatch, "viewer_fn.handler", db.viewer_dsn)
    auth = {"authorization": f"Bearer {token}"}
    try:
        for path in (f"{BASE}/api/v1/sessions", "/api/v1/sessions"):
            answer = module.handler(http_v2_event("GET", path, headers=auth), FakeContext())
            assert answer["statusCode"] == 200, (path, answer)
        page = module.handler(http_v2_event("GET", f"{BASE}/"), FakeContext())
        assert page["statusCode"] == 200
        login = module.handler(
            http_v2_event(
                "POST",
                f"{BASE}/api/v1/auth/login",
                headers={"content-type": "application/json"},
                body=b'{"token": "%s"}' % token.encode(),
            ),
            FakeContext(),
        )
        assert login["statusCode"] == 200, login
        assert any(
            f"Path={BASE}/" in c for c in login.get("cookies", []) + [login["headers"].get("set-cookie", "")]
        )
    finally:
        module.app.state.db.close()
