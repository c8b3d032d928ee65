"""HTTP semantics: unknown paths 404, HEAD wherever GET, 405 only for agentsview's writes."""

from __future__ import annotations

import pytest

from infra.openapi import viewer_openapi
from tests.viewer.test_routes import AGENTSVIEW_WRITES, loaded  # noqa: F401 - the fixture

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _auth(apps) -> dict[str, str]:
    return {"Authorization": f"Bearer {apps.viewer_token}"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v1/analytics/nope",
        "/api/v1/nope/x/y",
    ],
)
def test_unknown_paths_are_404_whatever_the_method(apps, path) -> None:
    for method in METHODS:
        r = apps.viewer.request(method, path, headers=_auth(apps))
        assert r.status_code == 404, (method, path, r.status_code, r.headers.get("allow"))
        assert "allow" not in r.headers
        if method != "HEAD":
            body = r.json()
            assert body["ok"] is False and body["status"] == 404 and path in body["error"]


def test_a_path_under_a_session_is_a_session_id_holding_slashes(apps) -> None:
    """/sessions/laptop:A/nope names session 'A/nope' (ids may hold "/"): a 404 naming it, and a
    405 offering GET and HEAD for a write method (the viewer is read-only)."""
    r = apps.viewer.get("/api/v1/sessions/laptop:A/nope", headers=_auth(apps))
    assert r.status_code == 404 and "laptop:A/nope" in r.json()["error"]
    r = apps.viewer.post("/api/v1/sessions/laptop:A/nope", headers=_auth(apps))
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"


def test_head_answers_like_get_on_every_read_route(loaded) -> None:  # noqa: F811
    concrete = {"{sid}": "laptop:A", "{ordinal}": "1"}
    query = {
        "/api/v1/search": {"q": "message"},
        "/api/v1/sessions/{sid}/search": {"q": "message"},
        "/api/v1/sessions/{sid}/messages/{ordinal}/text": {"part": "content"},
    }
    checked = 0
    for template, operations in viewer_openapi()["paths"].items():
        if "get" not in operations:
            continue
        path = template
        for key, value in concrete.items():
            path = path.replace(key, value)
        params = query.get(template, {})
        get = loaded.viewer.get(path, params=params, headers=_auth(loaded))
        head = loaded.viewer.head(path, params=params, headers=_auth(loaded))
        assert (head.status_code, get.status_code) == (200, 200), (template, head.status_code)
        assert head.content == b""
        # The GET's own length and encoding (gzip when the body is big enough: compression.py).
        assert head.headers["content-length"] == get.headers["content-length"], template
        assert head.headers.get("content-encoding") == get.headers.get("content-encoding"), template
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers.get("etag") == get.headers.get("etag")
        checked += 1
    assert checked >= 27
    for path in ("/", "/api/v1/openapi.json"):
        assert loaded.viewer.head(path).status_code == 200
    # conditional HEAD, and the errors GET would give
    tag = loaded.view("/api/v1/sessions/laptop:A").headers["etag"]
    again = loaded.viewer.head("/api/v1/sessions/laptop:A", headers={**_auth(loaded), "If-None-Match": tag})
    assert again.status_code == 304
    assert loaded.viewer.head("/api/v1/sessions/laptop:nope", headers=_auth(loaded)).status_code == 404
    assert loaded.viewer.head("/api/v1/sessions").status_code == 401
    assert (
        loaded.viewer.head("/api/v1/sessions", params={"limit": 0}, headers=_auth(loaded)).status_code == 400
    )


@pytest.mark.parametrize(("method", "path"), AGENTSVIEW_WRITES)
def test_agentsview_write_routes_name_what_the_resource_allows(apps, method, path) -> None:
    r = apps.viewer.request(method, path, headers=_auth(apps), json={})
    assert r.status_code == 405 and "read-only" in r.json()["error"]
    # DELETE /sessions/{id}: the session itself can be read; every other write resource cannot.
    expected = "GET, HEAD" if path == "/api/v1/sessions/laptop:A" else ""
    assert r.headers["allow"] == expected


def test_a_read_route_refuses_other_methods_with_its_allow(apps) -> None:
    for path in ("/api/v1/sessions", "/api/v1/analytics/summary", "/api/v1/sessions/laptop:A/messages"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            r = apps.viewer.request(method, path, headers=_auth(apps))
            assert r.status_code == 405, (method, path)
            assert r.headers["allow"] == "GET, HEAD"
            assert r.json()["status"] == 405
    login = apps.viewer.get("/api/v1/auth/login")
    assert login.status_code == 405 and login.headers["allow"] == "POST"
