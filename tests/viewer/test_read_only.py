"""The viewer has no route that writes (issue 11, the probes that held): every path of its
OpenAPI document, and paths it does not document, with every writing method, answer 405 or
404 and change nothing. Login and logout are the only POSTs; they touch no session data."""

from __future__ import annotations

import json
from pathlib import Path

from tests.apps import make_session

DOCUMENT = json.loads((Path(__file__).resolve().parents[2] / "docs/openapi-viewer.json").read_text())
WRITES = ("POST", "PUT", "PATCH", "DELETE")
COOKIE_ROUTES = {"/api/v1/auth/login", "/api/v1/auth/logout"}
UNDOCUMENTED = [
    "/api/v1/sessions",
    "/api/v1/sessions/laptop:s1/star",
    "/api/v1/machines/laptop",
    "/api/v1/x",
    "/",
]


def test_no_path_of_the_viewer_takes_a_write(apps) -> None:
    apps.push(make_session("s1", messages=3))
    with apps.db.admin() as conn:
        before = conn.execute("SELECT change_seq, fingerprint FROM av.sessions").fetchall()
    paths = [p.replace("{sid}", "laptop:s1").replace("{ordinal}", "0") for p in DOCUMENT["paths"]]
    assert len(paths) >= 30
    answered = {}
    for path in paths + UNDOCUMENTED:
        for method in WRITES:
            if path in COOKIE_ROUTES and method == "POST":
                continue
            r = apps.viewer.request(
                method,
                path,
                headers={"Authorization": f"Bearer {apps.viewer_token}"},
                json={"session_id": "x"},
            )
            answered[(method, path)] = r.status_code
    assert {k: v for k, v in answered.items() if v not in (404, 405)} == {}
    assert {m for path in DOCUMENT["paths"] for m in DOCUMENT["paths"][path]} <= {"get", "head", "post"}
    assert {p for p, ops in DOCUMENT["paths"].items() if "post" in ops} == COOKIE_ROUTES
    with apps.db.admin() as conn:
        assert conn.execute("SELECT change_seq, fingerprint FROM av.sessions").fetchall() == before
