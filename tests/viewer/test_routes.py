"""Route-by-route behaviour of the viewer API on the hand-computed fixture (fixtures.py)."""

from __future__ import annotations

import pytest

from infra.credentials import add_device
from tests.viewer import fixtures


@pytest.fixture
def loaded(apps):
    with apps.db.admin() as conn:
        desk = add_device(conn, machine="desk").token
    data = fixtures.sessions()
    assert all(r["status"] == "applied" for r in apps.push(*data["laptop"]).json()["results"])
    assert all(r["status"] == "applied" for r in apps.push(*data["desk"], token=desk).json()["results"])
    return apps


def ids(page) -> list[str]:
    return [s["session_id"] for s in page["rows"]]


def test_session_filters(loaded) -> None:
    v = loaded.view
    assert ids(v("/api/v1/sessions").json()) == ["C", "B", "A"]
    assert ids(v("/api/v1/sessions", include_one_shot="true").json()) == ["C", "D", "B", "A"]
    assert ids(v("/api/v1/sessions", include_children="true").json()) == ["C", "B", "A", "E"]
    assert ids(v("/api/v1/sessions", project="alpha").json()) == ["C", "A"]
    assert ids(v("/api/v1/sessions", project="alpha,beta", agent="codex").json()) == ["B"]
    assert ids(v("/api/v1/sessions", exclude_project="alpha").json()) == ["B"]
    assert ids(v("/api/v1/sessions", machine="desk").json()) == ["B"]
    assert ids(v("/api/v1/sessions", machine="laptop,desk").json()) == ["C", "B", "A"]
    assert ids(v("/api/v1/sessions", date="2026-11-03").json()) == ["B"]
    assert ids(v("/api/v1/sessions", date_from="2026-11-03", date_to="2026-11-10").json()) == ["C", "B"]
    assert ids(v("/api/v1/sessions", active_since="2026-11-05T00:00:00Z").json()) == ["C"]
    assert ids(v("/api/v1/sessions", min_messages=5).json()) == ["B"]
    assert ids(v("/api/v1/sessions", max_messages=4).json()) == ["C", "A"]
    assert ids(v("/api/v1/sessions", min_user_messages=3).json()) == ["B"]
    # children of a matching parent come along; the parent filter decides
    assert ids(v("/api/v1/sessions", include_children="true", project="alpha", min_messages=4).json()) == [
        "C",
        "A",
        "E",
    ]


def test_cursor_walks_filtered_list_to_the_end_and_is_bound_to_its_filters(loaded) -> None:
    seen, cursor, pages = [], None, 0
    while pages < 10:
        page = loaded.view(
            "/api/v1/sessions", limit=1, include_one_shot="true", **({"cursor": cursor} if cursor else {})
        ).json()
        assert page["total"] == 4
        seen += ids(page)
        cursor, pages = page["next"], pages + 1
        if not cursor:
            break
    assert seen == ["C", "D", "B", "A"]
    first = loaded.view("/api/v1/sessions", limit=1).json()
    other = loaded.view("/api/v1/sessions", limit=1, project="beta", cursor=first["next"])
    assert other.status_code == 400 and other.json()["error"].startswith("cursor:")


def test_bad_parameters_name_themselves(loaded) -> None:
    cases = {
        ("/api/v1/sessions", "date", "2026-13-01"): "date:",
        ("/api/v1/sessions", "limit", "0"): "limit:",
        ("/api/v1/sessions", "include_children", "maybe"): "include_children:",
        ("/api/v1/sessions", "active_since", "yesterday"): "active_since:",
        ("/api/v1/analytics/summary", "timezone", "Mars/Base"): "timezone:",
        ("/api/v1/analytics/summary", "dow", "7"): "dow:",
        ("/api/v1/analytics/activity", "granularity", "year"): "granularity:",
        ("/api/v1/search", "mode", "regex"): "mode:",
        ("/api/v1/sessions/laptop:A/messages", "direction", "up"): "direction:",
    }
    for (path, name, value), prefix in cases.items():
        r = loaded.view(path, **{name: value, **({"q": "x"} if "search" in path else {})})
        body = r.json()
        assert r.status_code == 400 and body["error"].startswith(prefix), (path, name, body)
        assert body["ok"] is False and body["status"] == 400
    assert "Europe/Berlin" in loaded.view("/api/v1/analytics/summary", timezone="Mars/Base").json()["error"]
    assert "day, week, month" in loaded.view("/api/v1/analytics/activity", granularity="year").json()["error"]
    swapped = loaded.view("/api/v1/analytics/summary", **{"from": "2026-11-10", "to": "2026-11-01"})
    assert swapped.status_code == 400 and "after" in swapped.json()["error"]
    for path in (
        "/api/v1/sessions/laptop:nope",
        "/api/v1/sessions/laptop:nope/messages",
        "/api/v1/sessions/laptop:nope/children",
        "/api/v1/sessions/laptop:nope/export",
    ):
        r = loaded.view(path)
        assert r.status_code == 404 and r.json()["ok"] is False


def test_children_minimap_in_session_search_and_export(loaded) -> None:
    kids = loaded.view("/api/v1/sessions/laptop:A/children").json()["rows"]
    assert [k["session_id"] for k in kids] == ["E"]
    mm = loaded.view("/api/v1/sessions/desk:B/minimap").json()
    assert len(mm["rows"]) == 6 and mm["rows"][0] == {
        "ordinal": 0,
        "role": "user",
        "content_length": 13,
        "has_thinking": False,
        "has_tool_use": False,
    }
    sampled = loaded.view("/api/v1/sessions/desk:B/minimap", max=3).json()
    assert [e["ordinal"] for e in sampled["rows"]] == [0, 2, 5] or [
        e["ordinal"] for e in sampled["rows"]
    ] == [0, 3, 5]
    assert loaded.view("/api/v1/sessions/laptop:A/search", q="MESSAGE 2").json()["rows"] == [2]
    assert loaded.view("/api/v1/sessions/laptop:A/search", q="needle_out").json()["rows"] == [1]
    assert loaded.view("/api/v1/sessions/laptop:A/search", q="50%").json()["rows"] == []
    assert loaded.view("/api/v1/sessions/laptop:A/search").status_code == 400
    export = loaded.view("/api/v1/sessions/laptop:A/export")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/html")
    assert 'filename="alpha-2026-11-02.html"' in export.headers["content-disposition"]
    assert (
        "<script" not in export.text
        and "A u message 0" in export.text
        and "alpha needle_output" in export.text
    )


def test_export_escapes_everything(apps) -> None:
    from tests.apps import make_session

    s = make_session("x", messages=2, project="../../etc")
    s["messages"][0]["content"] = "<script>alert(1)</script>"
    apps.push(s)
    r = apps.view("/api/v1/sessions/laptop:x/export")
    assert "<script>alert" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "script-src" not in r.headers["content-security-policy"]
    assert 'filename="etc-' in r.headers["content-disposition"]


def test_etag_and_change_signals(loaded) -> None:
    first = loaded.view("/api/v1/sessions/laptop:A/messages", limit=2)
    tag = first.headers["etag"]
    assert tag.startswith('W/"')
    again = loaded.viewer.get(
        "/api/v1/sessions/laptop:A/messages",
        params={"limit": 2},
        headers={"Authorization": f"Bearer {loaded.viewer_token}", "If-None-Match": tag},
    )
    assert again.status_code == 304 and again.headers["etag"] == tag
    other_query = loaded.view("/api/v1/sessions/laptop:A/messages", limit=3).headers["etag"]
    assert other_query != tag
    detail_tag = loaded.view("/api/v1/sessions/laptop:A").headers["etag"]
    version = loaded.view("/api/v1/sessions/laptop:A/version").json()["version"]
    global_version = loaded.view("/api/v1/changes").json()["global_version"]
    changed = fixtures.sessions()["laptop"][0]
    changed["fingerprint"] = "f" * 64
    changed["messages"][0]["content"] = "edited"
    assert loaded.push(changed).json()["results"][0]["status"] == "applied"
    assert loaded.view("/api/v1/sessions/laptop:A/version").json()["version"] > version
    assert loaded.view("/api/v1/changes").json()["global_version"] > global_version
    assert loaded.view("/api/v1/sessions/laptop:A").headers["etag"] != detail_tag
    stale = loaded.viewer.get(
        "/api/v1/sessions/laptop:A/messages",
        params={"limit": 2},
        headers={"Authorization": f"Bearer {loaded.viewer_token}", "If-None-Match": tag},
    )
    assert stale.status_code == 200 and stale.json()["rows"][0]["content"] == "edited"


def test_lists_stats_version_and_sync_status(loaded) -> None:
    v = loaded.view
    assert v("/api/v1/projects").json()["rows"] == [
        {"name": "alpha", "session_count": 2, "message_count": 8, "last_activity": "2026-11-10T12:07:01Z"},
        {"name": "beta", "session_count": 1, "message_count": 6, "last_activity": "2026-11-04T01:30:00Z"},
    ]
    assert [m["name"] for m in v("/api/v1/machines").json()["rows"]] == ["laptop", "desk"]
    assert {
        a["name"]: a["session_count"] for a in v("/api/v1/agents", include_one_shot="true").json()["rows"]
    } == {"claude": 3, "codex": 1}
    stats = v("/api/v1/stats").json()
    assert (
        stats["session_count"],
        stats["message_count"],
        stats["project_count"],
        stats["machine_count"],
    ) == (3, 14, 2, 2)
    assert stats["earliest_session"] == "2026-11-02T09:00:00Z"
    assert v("/api/v1/version").json()["read_only"] is True
    status = {m["machine"]: m for m in v("/api/v1/sync/status").json()["machines"]}
    assert (status["laptop"]["sessions"], status["laptop"]["messages"]) == (4, 14)
    assert (status["desk"]["sessions"], status["desk"]["messages"]) == (1, 6)
    assert status["desk"]["last_push_at"] is not None


AGENTSVIEW_WRITES = [
    ("PATCH", "/api/v1/sessions/laptop:A/rename"),
    ("DELETE", "/api/v1/sessions/laptop:A"),
    ("POST", "/api/v1/sessions/laptop:A/restore"),
    ("DELETE", "/api/v1/sessions/laptop:A/permanent"),
    ("DELETE", "/api/v1/trash"),
    ("PUT", "/api/v1/sessions/laptop:A/star"),
    ("DELETE", "/api/v1/sessions/laptop:A/star"),
    ("POST", "/api/v1/starred/bulk"),
    ("POST", "/api/v1/sessions/laptop:A/messages/1/pin"),
    ("DELETE", "/api/v1/sessions/laptop:A/messages/1/pin"),
    ("POST", "/api/v1/sessions/upload"),
    ("POST", "/api/v1/sessions/laptop:A/publish"),
    ("PUT", "/api/v1/settings"),
    ("POST", "/api/v1/sync"),
    ("POST", "/api/v1/resync"),
    ("POST", "/api/v1/insights/generate"),
    ("DELETE", "/api/v1/insights/1"),
    ("POST", "/api/v1/config/github"),
    ("POST", "/api/v1/config/terminal"),
    ("POST", "/api/v1/sessions/laptop:A/resume"),
    ("POST", "/api/v1/sessions/laptop:A/open"),
]


@pytest.mark.parametrize(("method", "path"), AGENTSVIEW_WRITES)
def test_every_agentsview_write_route_is_405(apps, method, path) -> None:
    r = apps.viewer.request(method, path, headers={"Authorization": f"Bearer {apps.viewer_token}"}, json={})
    assert r.status_code == 405
    assert r.json() == {"ok": False, "status": 405, "error": r.json()["error"], "errors": []}
    assert "read-only" in r.json()["error"]


def _viewer_from(apps, address: str):
    from fastapi.testclient import TestClient

    return TestClient(apps.viewer.app, base_url=str(apps.viewer.base_url), client=(address, 50000))


def test_failed_logins_are_rate_limited_per_client(apps) -> None:
    attacker = _viewer_from(apps, "203.0.113.9")
    for n in range(10):
        # A rotating X-Forwarded-For changes nothing: no proxy is trusted unless configured.
        spoof = {"X-Forwarded-For": f"198.51.100.{n}"}
        assert (
            attacker.post("/api/v1/auth/login", json={"token": "avv_wrong"}, headers=spoof).status_code == 401
        )
    limited = attacker.post("/api/v1/auth/login", json={"token": apps.viewer_token})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert limited.json()["status"] == 429
    other = _viewer_from(apps, "198.51.100.7").post("/api/v1/auth/login", json={"token": apps.viewer_token})
    assert other.status_code == 200


def test_wrong_bearer_tokens_are_limited_like_wrong_logins(apps) -> None:
    attacker = _viewer_from(apps, "203.0.113.10")
    wrong = {"Authorization": "Bearer avv_" + "W" * 38}
    codes = [attacker.get("/api/v1/sessions", headers=wrong).status_code for _ in range(11)]
    assert codes == [401] * 10 + [429]
    right = {"Authorization": f"Bearer {apps.viewer_token}"}
    assert attacker.get("/api/v1/sessions", headers=right).status_code == 429  # the address is blocked
    assert _viewer_from(apps, "203.0.113.11").get("/api/v1/sessions", headers=right).status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('{"token": "avv_x"}', "text/plain", 415),
        ("token=avv_x", "application/x-www-form-urlencoded", 415),
        ('{"token": "' + "a" * 5000 + '"}', "application/json", 413),
        ("[" * 100_000 + "]" * 100_000, "application/json", 413),
        ("[" * 2000 + "]" * 2000, "application/json", 400),  # deep but small: refused, not a 500
        ("not json", "application/json", 400),
        ('{"tok": "x"}', "application/json", 400),
    ],
)
def test_login_bodies_are_capped_and_json_only(apps, body: str, content_type: str, status: int) -> None:
    client = _viewer_from(apps, "203.0.113.12")
    r = client.post("/api/v1/auth/login", content=body, headers={"Content-Type": content_type})
    assert r.status_code == status, r.text
    assert r.json()["status"] == status


def test_a_huge_login_body_is_not_read_whole(apps) -> None:
    """Straight through ASGI (a test client would buffer the body first): reading stops at the cap."""
    import asyncio

    received, sent = [], []

    async def receive():
        received.append(1)
        return {"type": "http.request", "body": b"x" * 1_000_000, "more_body": len(received) < 300}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": "/api/v1/auth/login",
        "raw_path": b"/api/v1/auth/login",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("203.0.113.13", 50000),
        "server": ("testserver", 443),
    }
    asyncio.run(apps.viewer.app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert len(received) <= 2  # 1 MB read of the 300 MB offered


def test_login_limiter_window_slides() -> None:
    from avcore.web import TooManyRequests
    from viewer_fn.ratelimit import LoginLimiter

    now = [1000.0]
    limiter = LoginLimiter(max_failures=2, window_s=60, clock=lambda: now[0])
    limiter.failed("ip")
    now[0] += 30
    limiter.failed("ip")
    with pytest.raises(TooManyRequests) as err:
        limiter.check("ip")
    assert err.value.headers["Retry-After"] == "30"
    now[0] += 31  # the first failure left the window
    limiter.check("ip")
