"""Route tables (avcore.routes): each route is built once, on the app, as include_router would place it."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Query, routing
from fastapi.testclient import TestClient

from avcore.lazy_routes import build_pending
from avcore.routes import RouteTable
from avcore.settings import IngestSettings, ViewerSettings
from infra.openapi import PLACEHOLDER_DSN

calls: list[str] = []


def first() -> None:
    calls.append("first")


def own() -> None:
    calls.append("own")


def table() -> RouteTable:
    routes = RouteTable(prefix="/things", tags=["things"])

    @routes.get("/{name}", tags=["one"], dependencies=[Depends(own)], responses={404: {"description": "own"}})
    def thing(name: str, size: Annotated[int, Query(ge=1)] = 1) -> dict[str, object]:
        return {"name": name, "size": size}

    return routes


def test_an_installed_table_serves_its_routes_under_the_prefix_with_dependencies_in_order() -> None:
    app = FastAPI()
    table().install(
        app,
        prefix="/api",
        dependencies=[Depends(first)],
        responses={404: {"description": "given"}, 503: {"description": "given"}},
    )
    calls.clear()
    with TestClient(app) as client:
        assert client.get("/api/things/a", params={"size": 3}).json() == {"name": "a", "size": 3}
        assert calls == ["first", "own"]
        assert client.get("/api/things/a", params={"size": 0}).status_code == 422
    op = app.openapi()["paths"]["/api/things/{name}"]["get"]
    assert op["tags"] == ["things", "one"]
    assert op["responses"]["404"]["description"] == "own"  # the route's own answer wins
    assert op["responses"]["503"]["description"] == "given"


def test_declaring_builds_nothing_and_installing_builds_each_route_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    original = routing.APIRoute.__init__

    def counting(self: routing.APIRoute, path: str, *args: object, **kwargs: object) -> None:
        built.append(path)
        original(self, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(routing.APIRoute, "__init__", counting)
    routes = table()
    assert built == []
    app = FastAPI()
    routes.install(app, prefix="/api")
    with TestClient(app) as client:
        assert client.get("/api/things/b").status_code == 200
    assert built == ["/api/things/{name}"]


@pytest.mark.parametrize("function", ["ingest_fn", "viewer_fn"])
def test_every_api_route_of_the_functions_is_built_on_the_app_itself(function: str) -> None:
    """No included routers: FastAPI would build their routes again, per level (a cold-start cost)."""
    if function == "ingest_fn":
        from ingest_fn.app import create_app as ingest_app

        app = ingest_app(IngestSettings(database_url=PLACEHOLDER_DSN, environment="local"))
    else:
        from viewer_fn.app import create_app as viewer_app

        app = viewer_app(
            ViewerSettings(database_url=PLACEHOLDER_DSN, session_secret="t" * 40, environment="local")
        )
    build_pending(app)  # the route groups are built on demand (avcore.lazy_routes): build them all
    kinds = {type(route).__name__ for route in app.router.routes}
    assert "APIRoute" in kinds
    assert not {"_IncludedRouter", "APIRouter"} & kinds, kinds
