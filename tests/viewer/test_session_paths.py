"""Every valid session id opens, even one ending like a sub-route (issue 11; docs/api.md,
"Session ids in paths"): the id is escaped (`%` as `%25`, `/` as `%2F`) before it is
percent-encoded, and links in the answers keep that form.

The viewer runs under uvicorn here, and under the Lambda handler with the path API Gateway
hands it: Starlette's TestClient decodes a path twice, which no real server does."""

from __future__ import annotations

import importlib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.local.ca import LocalCA
from tests.apps import SESSION_SECRET, Apps, make_session
from tests.lambda_events import FakeContext, http_v2_event
from tests.viewer.browser_helpers import serve_viewer
from viewer_fn.session_paths import escape_sid, sid_segment, unescape_sid


@dataclass
class Served:
    apps: Apps
    client: httpx.Client

    def push(self, *sessions: dict[str, Any]) -> None:
        pushed = self.apps.push(*sessions)
        assert pushed.status_code == 200, pushed.text[:300]
        assert all(r["status"] != "rejected" for r in pushed.json()["results"]), pushed.text[:300]

    def view(self, path: str, **params: Any) -> Any:
        return self.client.get(path.lstrip("/"), params=params)


@pytest.fixture
def served(apps: Apps, tmp_path: Path) -> Iterator[Served]:
    with serve_viewer(apps.db.viewer_dsn, tmp_path) as site:
        headers = {"Authorization": f"Bearer {apps.viewer_token}"}
        with httpx.Client(
            base_url=site.url,
            verify=ssl.create_default_context(cafile=str(LocalCA(tmp_path).ca_cert)),
            headers=headers,
        ) as client:
            yield Served(apps, client)


SUB_ROUTES = [
    "/messages",
    "/messages/0/text",
    "/version",
    "/cost",
    "/children",
    "/minimap",
    "/export",
    "/search",
]
TAILS = [*SUB_ROUTES, "/", "//", "/%2F", "/%25", "%", "/messages/", "/a/b"]


def _key(session_id: str) -> str:
    return sid_segment(f"laptop:{session_id}")


def _opens(apps: Served, session_id: str, messages: int) -> None:
    base = f"/api/v1/sessions/{_key(session_id)}"
    detail = apps.view(base)
    assert detail.status_code == 200, (session_id, detail.status_code, detail.text[:200])
    assert detail.json()["session"]["session_id"] == session_id
    first = apps.view(base + "/messages", limit=1, direction="asc")
    assert first.status_code == 200, first.text[:200]
    body = first.json()
    assert [r["content"] for r in body["rows"]] == [f"user message 0 of {session_id} v1"]
    # The link the answer carries opens the same session's next page.
    follow = apps.client.get(body["next_url"])
    assert follow.status_code == 200, (body["next_url"], follow.text[:200])
    assert [r["ordinal"] for r in follow.json()["rows"]] == [1]
    for suffix in SUB_ROUTES:
        extra = (
            {"part": "content"}
            if suffix.endswith("text")
            else {"q": "message"}
            if suffix == "/search"
            else {}
        )
        r = apps.view(base + suffix, **extra)
        assert r.status_code == 200, (session_id, suffix, r.status_code, r.text[:200])
    assert apps.view(base + "/version").json()["version"] == detail.json()["session"]["version"]


def test_ids_ending_like_a_sub_route_open_on_every_route(served: Served) -> None:
    ids = [
        "a/messages",
        "x/cost",
        "y/export",
        "z/messages/0/text",
        "w/version",
        "50%/search",
        "p%2Fq",
        "r%25/",
        "q?x=1/messages",
        "h#frag",
    ]
    # The sessions whose sub-routes the colliding ids look like exist too: a wrong match would answer.
    decoys = ["a", "x", "y", "z", "w", "50%", "r%25", "q", "h"]
    served.push(*(make_session(s, messages=2) for s in ids + decoys))
    for session_id in ids:
        _opens(served, session_id, 2)


def test_any_id_with_slashes_and_sub_route_tails_opens(served: Served) -> None:
    head = st.text(alphabet=st.sampled_from("ab/%:.2F5é~ ?#"), min_size=1, max_size=12)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(head, st.sampled_from(TAILS))
    def check(start: str, tail: str) -> None:
        session_id = start + tail
        served.push(make_session(session_id, messages=2), make_session(start, messages=2))
        _opens(served, session_id, 2)

    check()


@given(st.text(max_size=40))
def test_the_escape_is_undone_exactly(sid: str) -> None:
    assert unescape_sid(escape_sid(sid)) == sid
    assert "/" not in escape_sid(sid)


def test_an_id_ending_like_a_sub_route_opens_through_the_lambda_handler(apps: Apps, monkeypatch) -> None:
    """API Gateway HTTP APIs decode the path once (``rawPath`` too) before the function sees it,
    and cut it at a decoded ``?`` (captures cited in docs/api.md)."""
    monkeypatch.setenv("AV_DATABASE_URL", apps.db.viewer_dsn)
    monkeypatch.setenv("AV_SESSION_SECRET", SESSION_SECRET)
    monkeypatch.setenv("AV_ENVIRONMENT", "production")
    import viewer_fn.handler

    module = importlib.reload(viewer_fn.handler)
    try:
        pushed = apps.push(
            make_session("a/messages"), make_session("a"), make_session("q?x/cost"), make_session("q")
        )
        assert pushed.status_code == 200

        def get(url: str) -> dict[str, Any]:
            parts = urlsplit(url)
            path = unquote(parts.path).partition("?")[0]  # what API Gateway hands the function
            event = http_v2_event(
                "GET", path, query=parts.query, headers={"authorization": f"Bearer {apps.viewer_token}"}
            )
            answer = module.handler(event, FakeContext())
            assert answer["statusCode"] == 200, (url, answer["statusCode"], str(answer.get("body"))[:300])
            body: dict[str, Any] = httpx.Response(200, content=_body(answer)).json()
            return body

        base = f"/api/v1/sessions/{sid_segment('laptop:a/messages')}"
        assert get(base)["session"]["session_id"] == "a/messages"
        page = get(base + "/messages?limit=1&direction=asc")
        assert page["rows"][0]["content"] == "user message 0 of a/messages v1"
        assert get(page["next_url"])["rows"][0]["ordinal"] == 1
        assert (
            get(f"/api/v1/sessions/{sid_segment('laptop:q?x/cost')}")["session"]["session_id"] == "q?x/cost"
        )
    finally:
        module.app.state.db.close()


def _body(answer: dict[str, Any]) -> bytes:
    import base64
    import gzip

    raw = base64.b64decode(answer["body"]) if answer.get("isBase64Encoded") else answer["body"].encode()
    return gzip.decompress(raw) if answer.get("headers", {}).get("content-encoding") == "gzip" else raw
