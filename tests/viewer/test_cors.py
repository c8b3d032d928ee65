"""CORS for a page hosted apart from the API (viewer_fn/cors.py, AV_CORS_ORIGINS)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from avcore.settings import SettingsError, ViewerSettings, load
from infra.credentials import add_viewer
from tests.apps import SESSION_SECRET
from viewer_fn.app import create_app

PAGE = "https://viewer.example.com"
OTHER = "https://evil.example.net"


def _client(db, origins: tuple[str, ...]) -> TestClient:
    settings = ViewerSettings(
        database_url=db.viewer_dsn, session_secret=SESSION_SECRET, environment="local", cors_origins=origins
    )
    return TestClient(create_app(settings), base_url="https://api.example.com")


@pytest.fixture
def hosted_apart(db) -> Iterator[tuple[TestClient, str]]:
    with db.admin() as conn:
        token = add_viewer(conn, name="alice").token
    client = _client(db, (PAGE,))
    yield client, token
    client.app.state.db.close()


def test_the_listed_page_may_read_answers_with_the_cookie(hosted_apart) -> None:
    client, token = hosted_apart
    login = client.post("/api/v1/auth/login", json={"token": token}, headers={"Origin": PAGE})
    assert login.status_code == 200
    assert login.headers["access-control-allow-origin"] == PAGE
    assert login.headers["access-control-allow-credentials"] == "true"
    assert (
        "av_session=" in login.headers["set-cookie"]
        and "samesite=strict" in login.headers["set-cookie"].lower()
    )
    me = client.get("/api/v1/auth/me", headers={"Origin": PAGE})
    assert me.status_code == 200 and me.json()["name"] == "alice"
    assert me.headers["access-control-allow-origin"] == PAGE
    assert "origin" in me.headers["vary"].lower()
    # Errors too: the page must see a 401 or 404 to say what happened.
    client.cookies.clear()
    denied = client.get("/api/v1/sessions", headers={"Origin": PAGE})
    assert denied.status_code == 401 and denied.headers["access-control-allow-origin"] == PAGE


def test_other_origins_get_no_cors_and_no_preflight(hosted_apart) -> None:
    client, token = hosted_apart
    r = client.get("/api/v1/auth/me", headers={"Origin": OTHER, "Authorization": f"Bearer {token}"})
    assert r.status_code == 200  # the API still answers; the browser will not let that page read it
    assert "access-control-allow-origin" not in r.headers
    pre = client.options(
        "/api/v1/auth/login",
        headers={
            "Origin": OTHER,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 400 and "access-control-allow-origin" not in pre.headers


def test_preflights_allow_only_what_the_page_uses(hosted_apart) -> None:
    client, _ = hosted_apart

    def preflight(method: str, headers: str = "") -> httpx.Response:
        extra = {"Access-Control-Request-Headers": headers} if headers else {}
        return client.options(
            "/api/v1/auth/login", headers={"Origin": PAGE, "Access-Control-Request-Method": method, **extra}
        )

    ok = preflight("POST", "content-type")
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == PAGE
    assert ok.headers["access-control-allow-credentials"] == "true"
    assert ok.headers["access-control-max-age"] == "600"
    assert preflight("DELETE").status_code == 400
    assert preflight("POST", "authorization").status_code == 400


def test_without_origins_there_is_no_cors_at_all(db) -> None:
    client = _client(db, ())
    try:
        r = client.get("/api/v1/auth/me", headers={"Origin": PAGE})
        assert r.status_code == 401 and "access-control-allow-origin" not in r.headers
        pre = client.options(
            "/api/v1/auth/login", headers={"Origin": PAGE, "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in pre.headers
    finally:
        client.app.state.db.close()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("*", "is not allowed"),
        ("null", "is not allowed"),
        ("https://viewer.example.com/", "no path"),
        ("https://viewer.example.com/app", "no path"),
        ("viewer.example.com", "not an origin"),
        ("http://viewer.example.com", "must be https://"),
    ],
)
def test_the_allow_list_is_checked_at_start(monkeypatch, value: str, problem: str) -> None:
    monkeypatch.setenv("AV_CORS_ORIGINS", f"https://ok.example.com,{value}")
    with pytest.raises(SettingsError, match=problem) as caught:
        load(ViewerSettings, database_url="postgresql://u@localhost/db", session_secret=SESSION_SECRET)
    assert "AV_CORS_ORIGINS" in str(caught.value)


def test_the_allow_list_reads_a_comma_list(monkeypatch) -> None:
    monkeypatch.setenv("AV_CORS_ORIGINS", " https://Viewer.Example.com , http://localhost:5173,,")
    settings = load(ViewerSettings, database_url="postgresql://u@localhost/db", session_secret=SESSION_SECRET)
    assert settings.cors_origins == ("https://viewer.example.com", "http://localhost:5173")
