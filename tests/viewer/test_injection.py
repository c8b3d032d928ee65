"""SQL injection through every text parameter of the viewer and through the search syntax held
(issue 11, the probes that held): every value reaches PostgreSQL as data. Real PostgreSQL, the
real viewer app; answers are checked for what they return, not only for their status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.apps import make_session

DOCUMENT = json.loads((Path(__file__).resolve().parents[2] / "docs/openapi-viewer.json").read_text())
PAYLOADS = [
    "' OR '1'='1",
    "x' OR 1=1 --",
    "'; DELETE FROM sessions; --",
    "x'); SELECT pg_terminate_backend(pg_backend_pid()); --",
    '" OR ""="',
    "%' OR '%'='",
    "\\'; DROP TABLE messages; --",
    "1 UNION SELECT token_hash FROM viewer_credentials",
    "$$; DROP TABLE sessions; $$",
    "laptop'||'",
]


def _is_text(schema: dict[str, Any]) -> bool:
    kinds = [schema, *schema.get("anyOf", [])]
    return any(k.get("type") == "string" or k.get("items", {}).get("type") == "string" for k in kinds)


def _text_parameters() -> list[tuple[str, str]]:
    found = []
    for path, operations in DOCUMENT["paths"].items():
        for p in operations.get("get", {}).get("parameters", []):
            if p["in"] == "query" and _is_text(p.get("schema", {})):
                found.append((path, p["name"]))
    return found


def _index(apps: Any) -> None:
    with psycopg.connect(apps.db.ingest_dsn, autocommit=True, options="-c search_path=av") as conn:
        while conn.execute("SELECT refresh_search(100)").fetchone()[0]:
            pass


@pytest.fixture
def planted(apps):
    odd = make_session("odd", messages=4)
    odd["messages"][0]["content"] = "he typed ' OR 1=1 -- into the form"
    odd["messages"][1]["content"] = "abcxdef and abcydef"
    odd["messages"][2]["content"] = "we are 100% sure about abc_def and :* and foo & bar | !baz <-> qux"
    assert apps.push(odd, make_session("plain", messages=4, project="other")).status_code == 200
    _index(apps)
    return apps


def _counts(apps: Any) -> tuple[int, ...]:
    with apps.db.admin() as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM av.sessions), (SELECT count(*) FROM av.messages), "
            "(SELECT count(*) FROM av.viewer_credentials), (SELECT count(*) FROM av.machines)"
        ).fetchone()
    return tuple(row)


def test_every_text_parameter_takes_injection_as_data(planted) -> None:
    params = _text_parameters()
    assert len(params) >= 20  # the sweep covers the API, not a handful of routes
    before = _counts(planted)
    failures = []
    for path, name in params:
        url = path.replace("{sid}", "laptop:odd").replace("{ordinal}", "0")
        for value in PAYLOADS:
            r = planted.view(url, **{name: value})
            if r.status_code >= 500:
                failures.append((path, name, value, r.status_code, r.text[:120]))
            elif r.status_code == 200 and path == "/api/v1/sessions":
                # A filter: no session holds this value, so none may come back (and excluding it
                # excludes none).
                got = sorted(s["session_id"] for s in r.json()["rows"])
                if got != (["odd", "plain"] if name.startswith("exclude_") else []):
                    failures.append((path, name, value, "rows", got))
    assert not failures, failures
    assert _counts(planted) == before
    assert planted.view("/api/v1/sessions").json()["total"] == 2


@pytest.mark.parametrize("mode", ["words", "substring"])
@pytest.mark.parametrize(
    ("q", "ordinals"),
    [
        ("typed ' OR 1=1 --", {0}),
        ("100% sure", {2}),
        ("abc_def", {2}),  # not a LIKE wildcard: abcxdef (message 1) does not match
        ("abc%def", set()),  # nor this one
        ("abc\\_def", set()),
        ("foo & bar | !baz", {2}),
        (":* and", {2}),
        ("' OR '111'='111", set()),
        ("$$; DROP TABLE messages; $$", set()),
        ('"unterminated phrase', set()),
    ],
)
def test_search_syntax_and_injection_match_only_literal_text(
    planted, mode: str, q: str, ordinals: set[int]
) -> None:
    r = planted.view("/api/v1/search", q=q, mode=mode, limit=500)
    if mode == "words" and r.status_code == 400:  # no word to look for: named, never run
        assert r.json()["error"].startswith("q: "), r.text
        return
    assert r.status_code == 200, r.text
    hits = {(h["session_id"], h["ordinal"]) for h in r.json()["rows"]}
    if mode == "substring":
        assert hits == {("laptop:odd", o) for o in ordinals}, (q, mode, hits)
    else:  # words: tokens, so possibly more texts, but only texts holding its words
        assert hits <= {("laptop:odd", o) for o in range(4)} | {("laptop:plain", o) for o in range(4)}
        assert {("laptop:odd", o) for o in ordinals} <= hits, (q, mode, hits)
    assert _counts(planted) == (2, 8, 1, 1)
