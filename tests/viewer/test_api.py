"""The viewer JSON API against a real database: auth, listing, paging, read-only."""

from __future__ import annotations

import psycopg
import pytest

from infra.credentials import revoke_viewer
from tests.apps import make_session


def _seed(apps, n: int = 7) -> None:
    sessions = [make_session(f"s{i}", messages=3, started=f"2026-11-{i + 1:02d}T10:00:00Z") for i in range(n)]
    sessions.append(make_session("child", relationship="subagent", parent_session_id="s0"))
    assert all(r["status"] == "applied" for r in apps.push(*sessions).json()["results"])


def test_list_is_newest_first_and_the_cursor_walks_to_the_end(apps) -> None:
    _seed(apps)
    seen, cursor, guard = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = apps.view("/api/v1/sessions", **params).json()
        assert page["ok"] is True
        if cursor is None:
            assert page["total"] == 7
        seen += [s["session_id"] for s in page["rows"]]
        cursor = page["next"]
        guard += 1
        if not cursor or guard > 10:
            break
    assert seen == [f"s{i}" for i in reversed(range(7))]  # subagent children hidden by default
    with_children = apps.view("/api/v1/sessions", include_children="true").json()
    assert with_children["total"] == 8


def test_detail_and_messages_in_both_directions(apps) -> None:
    apps.push(make_session("big", messages=25))
    detail = apps.view("/api/v1/sessions/laptop:big").json()["session"]
    assert (detail["machine"], detail["message_count"], detail["tool_call_count"]) == ("laptop", 25, 12)
    asc = apps.view("/api/v1/sessions/laptop:big/messages", limit=10, **{"from": 5}).json()
    assert [m["ordinal"] for m in asc["rows"]] == list(range(5, 15))
    assert asc["rows"][0]["tool_calls"][0]["tool_name"] == "Read"  # ordinal 5: assistant
    assert asc["rows"][1]["tool_calls"] == []
    desc = apps.view("/api/v1/sessions/laptop:big/messages", limit=4, direction="desc").json()
    assert [m["ordinal"] for m in desc["rows"]] == [24, 23, 22, 21]


def test_errors_name_the_problem(apps) -> None:
    _seed(apps, 1)
    assert apps.view("/api/v1/sessions/laptop:nope").status_code == 404
    assert apps.view("/api/v1/sessions/no-colon").status_code == 404
    forged = apps.view("/api/v1/sessions", cursor="abc.def")
    assert forged.status_code == 400 and "cursor" in forged.json()["error"]
    big = apps.view("/api/v1/sessions", limit=100000)
    assert big.status_code == 400 and "limit" in big.json()["error"]


def test_auth_bearer_cookie_device_token_and_revocation(apps) -> None:
    _seed(apps, 1)
    assert apps.viewer.get("/api/v1/sessions").status_code == 401
    device = apps.viewer.get("/api/v1/sessions", headers={"Authorization": f"Bearer {apps.device_token}"})
    assert device.status_code == 403 and "device tokens" in device.json()["error"]
    bad = apps.viewer.post("/api/v1/auth/login", json={"token": "avv_wrong"})
    assert bad.status_code == 401
    good = apps.viewer.post("/api/v1/auth/login", json={"token": apps.viewer_token})
    assert good.status_code == 200
    cookie = good.headers["set-cookie"]
    for attr in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert attr.lower() in cookie.lower()
    assert apps.viewer.get("/api/v1/sessions").status_code == 200  # the cookie now authenticates
    with apps.db.admin() as conn:
        revoke_viewer(conn, conn.execute("SELECT id FROM viewer_credentials").fetchone()[0])
    assert apps.viewer.get("/api/v1/sessions").status_code == 401
    apps.viewer.post("/api/v1/auth/logout")


def test_write_routes_answer_405_and_headers_are_set(apps) -> None:
    for method, path in (
        ("PATCH", "/api/v1/sessions/laptop:s0/rename"),
        ("DELETE", "/api/v1/sessions/laptop:s0"),
        ("POST", "/api/v1/sessions/upload"),
        ("PUT", "/api/v1/sessions/laptop:s0/star"),
    ):
        r = apps.viewer.request(method, path, headers={"Authorization": f"Bearer {apps.viewer_token}"})
        assert r.status_code == 405 and "read-only" in r.json()["error"]
    for path in ("/", "/api/v1/version"):
        r = apps.view(path)
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "unsafe-inline" not in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["strict-transport-security"].startswith("max-age=")
    assert apps.view("/api/v1/version").json()["read_only"] is True


def test_the_viewers_own_connection_cannot_write(apps) -> None:
    with apps.viewer.app.state.db.connection() as conn:
        with pytest.raises((psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.InsufficientPrivilege)):
            conn.execute("INSERT INTO machines (name) VALUES ('intruder')")
    with apps.viewer.app.state.db.connection() as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with conn.transaction():
                conn.execute("SET TRANSACTION READ WRITE")
                conn.execute("DELETE FROM sessions")
