"""Read routes never answer 500 for what a client sends or what ingest stored (issue 11 item 4)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.apps import make_session


def test_a_session_id_holding_slashes_opens_on_every_session_route(apps) -> None:
    sid = "dir/with/slash"
    apps.push(make_session(sid, messages=3), make_session("plain"))
    key = quote(f"laptop:{sid}", safe="")
    base = f"/api/v1/sessions/{key}"
    detail = apps.view(base)
    assert detail.status_code == 200, detail.text
    assert detail.json()["session"]["session_id"] == sid
    for suffix in ("/messages", "/messages/0/text", "/version", "/cost", "/children", "/minimap", "/export"):
        r = apps.view(base + suffix, **({"part": "content"} if suffix.endswith("text") else {}))
        assert r.status_code == 200, (suffix, r.status_code, r.text[:200])
    assert len(apps.view(base + "/messages").json()["rows"]) == 3
    # The sub-routes are tried first; an id that merely starts like another still opens.
    assert apps.view("/api/v1/sessions/laptop:plain").status_code == 200
    assert apps.view(f"/api/v1/sessions/{quote('laptop:dir/with', safe='')}").status_code == 404


@pytest.mark.parametrize("bad", ["laptop:%00", "%00", "laptop:a\x00b"])
def test_a_nul_in_a_session_id_is_a_404(apps, bad: str) -> None:
    r = apps.viewer.get(
        f"/api/v1/sessions/{quote(bad, safe='%:')}", headers={"Authorization": f"Bearer {apps.viewer_token}"}
    )
    assert r.status_code == 404


# Values a client may send for any parameter: NUL, extreme dates and numbers, junk, huge text.
HOSTILE = [
    "\x00",
    "a\x00b",
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "-99999999999999999999",
    "99999999999999999999",
    "2147483648",
    "-1",
    "",
    "AA==",
    "'; DROP TABLE sessions; --",
    "x" * 5000,
    "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
]


def _get_routes(document: dict) -> list[tuple[str, list[str]]]:
    routes = []
    for path, operations in document["paths"].items():
        if "get" in operations:
            names = [p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"]
            routes.append((path, names))
    return routes


def test_no_query_parameter_value_makes_a_viewer_route_answer_500(apps) -> None:
    """Every GET route of docs/openapi-viewer.json, every query parameter, every hostile value."""
    import json
    from pathlib import Path

    document = json.loads((Path(__file__).resolve().parents[2] / "docs/openapi-viewer.json").read_text())
    apps.push(
        make_session("s1", messages=4), make_session("s2", parent_session_id="s1", relationship="subagent")
    )
    failures = []
    for path, names in _get_routes(document):
        url = path.replace("{sid}", "laptop:s1").replace("{ordinal}", "1")
        for name in names:
            for value in HOSTILE:
                r = apps.viewer.get(
                    url, params={name: value}, headers={"Authorization": f"Bearer {apps.viewer_token}"}
                )
                if r.status_code >= 500:
                    failures.append((path, name, value[:20], r.status_code, r.text[:120]))
    assert not failures, failures


def test_no_query_parameter_value_makes_an_ingest_route_answer_500(apps) -> None:
    import json
    from pathlib import Path

    document = json.loads((Path(__file__).resolve().parents[2] / "docs/openapi-ingest.json").read_text())
    failures = []
    for path, names in _get_routes(document):
        for name in names:
            for value in HOSTILE:
                r = apps.ingest.get(
                    path, params={name: value}, headers={"Authorization": f"Bearer {apps.device_token}"}
                )
                if r.status_code >= 500:
                    failures.append((path, name, value[:20], r.status_code, r.text[:120]))
    assert not failures, failures
