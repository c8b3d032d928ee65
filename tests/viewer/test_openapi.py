"""The viewer's OpenAPI document: kept in docs/, complete, and true to what the routes send."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from infra.openapi import VIEWER_OPENAPI, render, viewer_openapi
from tests.viewer.test_routes import loaded  # noqa: F401 - the fixture

VIEWER = Path(__file__).resolve().parents[2] / "viewer_fn"


def test_the_viewer_openapi_document_in_the_repo_matches_the_code() -> None:
    assert VIEWER_OPENAPI.read_text() == render(viewer_openapi()), (
        "docs/openapi-viewer.json is stale; regenerate it with `.venv/bin/python -m infra.openapi`"
    )


def test_every_operation_declares_its_answer_and_its_errors() -> None:
    doc = viewer_openapi()
    schemas = doc["components"]["schemas"]
    seen_ids = set()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert op["operationId"] not in seen_ids, op["operationId"]
            seen_ids.add(op["operationId"])
            ok = op["responses"]["200"]["content"]
            if path.endswith("/export"):
                assert ok["text/html"]["schema"] == {"type": "string"}
                assert {"Link", "Content-Disposition"} <= set(op["responses"]["200"]["headers"])
                continue
            ref = ok["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            assert schemas[ref]["properties"], f"{method} {path} answers an empty model"
            # the one error body, as sent: never FastAPI's 422
            assert "422" not in op["responses"], f"{method} {path}"
            if path != "/api/v1/auth/logout":
                errors = [r for status, r in op["responses"].items() if status[0] == "4"]
                assert errors, f"{method} {path} declares no error"
                for response in errors:
                    assert response["content"]["application/problem+json"]["schema"]["$ref"].endswith(
                        "/ErrorBody"
                    )
    assert "HTTPValidationError" not in schemas


def test_every_field_of_every_answer_is_always_sent() -> None:
    """A nullable field is ``T | null``, never absent: the page's generated types rely on it."""
    for name, schema in viewer_openapi()["components"]["schemas"].items():
        if name in ("Login",):  # a request body: its fields are what a client must send
            continue
        properties = set(schema.get("properties", {}))
        assert properties <= set(schema.get("required", [])), (
            f"{name}: {properties - set(schema['required'])}"
        )


def test_no_route_parses_the_query_string_by_hand() -> None:
    """Parameters are declared (and so documented); only paging and ETags read the raw query."""
    allowed = {"paging.py", "conditional.py"}
    offenders = [
        f"{f.name}:{n}"
        for f in sorted(VIEWER.glob("*.py"))
        if f.name not in allowed
        for n, line in enumerate(f.read_text().splitlines(), 1)
        if re.search(r"\.query_params\b", line)
    ]
    assert not offenders, offenders


def test_no_route_takes_an_unused_viewer_argument() -> None:
    """Authentication is one router-level dependency; a route takes the viewer only to use it."""
    for f in sorted(VIEWER.glob("routes_*.py")):
        for match in re.finditer(r"def (\w+)\(([^)]*)\)", f.read_text(), re.S):
            name, args = match.groups()
            if "who:" in args:
                assert (f.name, name) == ("routes_auth.py", "me"), f"{f.name}:{name} takes `who`"


def _models() -> dict[str, type[BaseModel]]:
    from viewer_fn import models, models_analytics, models_cost, models_meta, models_search

    return {
        name: cls
        for module in (models, models_analytics, models_cost, models_meta, models_search)
        for name, cls in vars(module).items()
        if isinstance(cls, type) and issubclass(cls, BaseModel)
    }


CONCRETE = {"{sid}": "laptop:A", "{ordinal}": "1"}
QUERY = {
    "/api/v1/search": {"q": "message"},
    "/api/v1/sessions/{sid}/search": {"q": "message"},
    "/api/v1/sessions/{sid}/messages/{ordinal}/text": {"part": "content"},
}


def test_every_route_answers_what_its_model_declares(loaded) -> None:  # noqa: F811
    """Each GET route of the document, on the hand-computed fixture, answers JSON its declared
    model accepts, field for field (by alias, as the document names them)."""
    models, checked = _models(), 0
    for path, operations in viewer_openapi()["paths"].items():
        if "get" not in operations or path.endswith("/export"):
            continue
        ref = operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        model = models[ref.rsplit("/", 1)[-1]]
        concrete = path
        for key, value in CONCRETE.items():
            concrete = concrete.replace(key, value)
        r = loaded.view(concrete, **QUERY.get(path, {}))
        assert r.status_code == 200, (path, r.text)
        parsed = model.model_validate_json(r.content, by_alias=True, by_name=False)
        assert parsed.model_dump(mode="json", by_alias=True) == r.json(), path
        checked += 1
    assert checked >= 25


@pytest.mark.parametrize("kind", ["projects", "machines", "agents"])
def test_value_lists_page_and_narrow_for_typeahead(loaded, kind) -> None:  # noqa: F811
    everything = [r["name"] for r in loaded.view(f"/api/v1/{kind}", include_one_shot="true").json()["rows"]]
    walked, url, guard = [], None, 0
    while guard < 10:
        page = (
            loaded.viewer.get(url, headers=_auth(loaded))
            if url
            else loaded.view(f"/api/v1/{kind}", include_one_shot="true", limit=1)
        ).json()
        walked += [r["name"] for r in page["rows"]]
        url, guard = page["next_url"], guard + 1
        if not url:
            break
    assert walked == everything and len(everything) >= 2
    first = everything[0]
    narrowed = loaded.view(f"/api/v1/{kind}", include_one_shot="true", q=first[1:].upper()).json()["rows"]
    assert first in [r["name"] for r in narrowed]
    assert loaded.view(f"/api/v1/{kind}", q="no such name, surely").json()["rows"] == []


def _auth(apps) -> dict[str, str]:
    return {"Authorization": f"Bearer {apps.viewer_token}"}
