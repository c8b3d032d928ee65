"""Route groups built on their first request (avcore.lazy_routes): same answers, same order, every
route reachable and documented."""

from __future__ import annotations

import gc
import threading
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from avcore.lazy_routes import PendingGroup, PendingGroups, build_pending, install_lazily
from avcore.routes import RouteTable
from avcore.runtime import built_and_settled
from avcore.settings import IngestSettings, ViewerSettings
from infra.openapi import PLACEHOLDER_DSN

loaded: list[str] = []


def parts() -> RouteTable:
    """Declared first: /x/{p}/y must be tried before the catch-all /x/{p:path} of ``anything``."""
    loaded.append("parts")
    table = RouteTable()

    @table.get("/x/{p:path}/y")
    def part(p: str) -> dict[str, str]:
        return {"route": "part", "p": p}

    return table


def anything() -> RouteTable:
    loaded.append("anything")
    table = RouteTable()

    @table.get("/x/{p:path}")
    def whole(p: str) -> dict[str, str]:
        return {"route": "whole", "p": p}

    @table.get("/b")
    def b() -> dict[str, str]:
        return {"route": "b"}

    return table


def toy_app() -> FastAPI:
    app = FastAPI()
    install_lazily(app, parts, starts=("/x/",), prefix="/api")
    install_lazily(app, anything, starts=("/x/", "/b"), prefix="/api")
    return app


def test_a_group_is_built_on_the_first_request_that_could_use_it_and_only_then() -> None:
    loaded.clear()
    app = toy_app()
    assert loaded == []
    with TestClient(app) as client:
        assert client.get("/api/nothing").status_code == 404
        assert loaded == []
        assert client.get("/api/b").json() == {"route": "b"}
        assert loaded == ["anything"]
        assert client.get("/api/b").json() == {"route": "b"}
        assert loaded == ["anything"]  # built once


def test_a_group_built_later_is_still_tried_in_its_declared_place() -> None:
    """``anything`` is built first (by /b); ``parts``, built later, must still come before it, or
    its catch-all would answer /x/1/y."""
    loaded.clear()
    with TestClient(toy_app()) as client:
        client.get("/api/b")
        assert client.get("/api/x/1/y").json() == {"route": "part", "p": "1"}
        assert client.get("/api/x/1/z").json() == {"route": "whole", "p": "1/z"}
    assert loaded == ["anything", "parts"]


def test_the_slash_redirect_sees_a_group_not_built_yet() -> None:
    with TestClient(toy_app(), follow_redirects=False) as client:
        answer = client.get("/api/b/")
    assert answer.status_code == 307
    assert answer.headers["location"].endswith("/api/b")


def slashed() -> RouteTable:
    table = RouteTable()

    @table.get("/c/")
    def c() -> dict[str, str]:
        return {"route": "c"}

    return table


def test_the_slash_redirect_builds_the_group_of_the_slash_toggled_twin() -> None:
    """/api/c begins with no declared start ("/c/"): only its twin /api/c/ does, so the group is
    built for the router's redirect by the twin alone."""
    app = FastAPI()
    install_lazily(app, slashed, starts=("/c/",), prefix="/api")
    with TestClient(app, follow_redirects=False) as client:
        answer = client.get("/api/c")
    assert answer.status_code == 307
    assert answer.headers["location"].endswith("/api/c/")


def test_a_pending_group_does_not_break_url_for_of_the_routes_after_it() -> None:
    app = FastAPI()
    install_lazily(app, anything, starts=("/b",), prefix="/api")

    @app.get("/eager", name="eager")
    def eager() -> dict[str, str]:
        return {}

    assert app.url_path_for("eager") == "/eager"


class Half(RouteTable):
    """A table whose install fails after adding a route, as an import or model error would."""

    def install(self, app: FastAPI, **kwargs: object) -> None:  # type: ignore[override]
        super().install(app, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("broken group")


def half() -> RouteTable:
    table = Half()

    @table.get("/h")
    def h() -> dict[str, str]:
        return {"route": "h"}

    return table


def test_a_group_that_fails_to_build_leaves_no_routes_behind_and_stays_pending() -> None:
    app = FastAPI()
    install_lazily(app, half, starts=("/h",), prefix="/api")
    routes_before = list(app.router.routes)
    pending: PendingGroups = app.state.pending_route_groups
    for _ in range(2):
        with pytest.raises(RuntimeError, match="broken group"):
            pending.build_for("/api/h")
        assert app.router.routes == routes_before
        assert len(pending.groups) == 1


@pytest.mark.parametrize("index", [0, 1], ids=["ingest_fn", "viewer_fn"])
def test_a_group_that_fails_to_build_is_answered_inside_the_apps_middleware(index: int) -> None:
    """The function's own app with a group that fails to build: the 500 is the app's error body
    with the request id it names, the security headers and (viewer) CORS, as any failing route's."""
    origin = "https://viewer.example.com"
    app = function_apps(cors_origins=(origin,))[index]
    install_lazily(app, half, starts=("/h",), prefix="/api")
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        answer = client.get("/api/h", headers={"Origin": origin, "X-Request-Id": "build-failed-1"})
        assert answer.status_code == 500
        assert answer.json()["error"] == "internal error; the request id is in the X-Request-Id header"
        assert answer.headers["x-request-id"] == "build-failed-1"
        assert answer.headers["x-content-type-options"] == "nosniff"
        if index == 1:
            assert answer.headers["access-control-allow-origin"] == origin
        # the group is still pending, and the next request tries it again
        assert client.get("/api/h").status_code == 500
    assert [g.starts for g in app.state.pending_route_groups.groups].count(("/api/h",)) == 1


def slow() -> RouteTable:
    time.sleep(0.05)  # an import that takes a while: the other first requests arrive meanwhile
    table = RouteTable()

    @table.get("/s")
    def s() -> dict[str, str]:
        return {"route": "s"}

    return table


def test_first_requests_from_several_threads_build_a_group_once() -> None:
    """One app served from several event loops at once (a test client per thread, as the
    concurrent-push tests do): every first request is answered, and the group's routes are added
    once, in its place."""
    app = FastAPI()
    install_lazily(app, slow, starts=("/s",), prefix="/api")
    start = threading.Barrier(6)
    answers: list[int] = []
    errors: list[BaseException] = []

    def first_request() -> None:
        try:
            with TestClient(app) as client:
                start.wait()
                answers.append(client.get("/api/s").status_code)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=first_request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert answers == [200] * 6
    assert [getattr(r, "path", None) for r in app.router.routes].count("/api/s") == 1


def test_the_openapi_document_lists_every_group_before_any_request() -> None:
    loaded.clear()
    app = toy_app()
    assert set(app.openapi()["paths"]) == {"/api/x/{p}/y", "/api/x/{p}", "/api/b"}
    assert sorted(loaded) == ["anything", "parts"]


def test_a_group_needs_the_beginnings_of_its_paths() -> None:
    with pytest.raises(ValueError, match="starts"):
        install_lazily(FastAPI(), parts, starts=())


def function_apps(cors_origins: tuple[str, ...] = ()) -> list[FastAPI]:
    from ingest_fn.app import create_app as ingest_app
    from viewer_fn.app import create_app as viewer_app

    return [
        ingest_app(IngestSettings(database_url=PLACEHOLDER_DSN, environment="local")),
        viewer_app(
            ViewerSettings(
                database_url=PLACEHOLDER_DSN,
                session_secret="t" * 40,
                environment="local",
                cors_origins=cors_origins,
            )
        ),
    ]


@pytest.mark.parametrize("index", [0, 1], ids=["ingest_fn", "viewer_fn"])
def test_every_route_of_a_lazy_group_begins_with_one_of_its_declared_starts(index: int) -> None:
    """A route whose path begins with none of its group's ``starts`` would never be built."""
    app = function_apps()[index]
    pending: PendingGroups = app.state.pending_route_groups
    groups: list[PendingGroup] = list(pending.groups)
    assert groups, "the app installs its route groups lazily"
    for group in groups:
        table = group.load()
        for route in table.routes:
            path = group.prefix + route.path
            assert path.startswith(group.starts), (path, group.starts)


@pytest.mark.parametrize("index", [0, 1], ids=["ingest_fn", "viewer_fn"])
def test_building_every_group_leaves_no_pending_route(index: int) -> None:
    app = function_apps()[index]
    build_pending(app)
    assert not [route for route in app.router.routes if isinstance(route, PendingGroup)]
    assert app.state.pending_route_groups.groups == []


def test_a_group_built_in_a_settled_process_is_settled_too() -> None:
    """What a lazily built group brings is frozen like the rest of the app (avcore.runtime), so
    full collections do not walk it; a process never settled is left alone."""
    app = built_and_settled(toy_app)
    try:
        frozen = gc.get_freeze_count()
        with TestClient(app) as client:
            client.get("/api/b")
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
