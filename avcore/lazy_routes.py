"""Route groups built on their first request: a cold start pays only for the routes it serves.

A Lambda container lives for one burst of requests, often of one kind (the page and a session,
or a push): building every route group at the import, with the pydantic models of its answers,
was about a third of the viewer's cold start. :func:`install_lazily` puts a *pending group* in
the app's route list instead: an inert entry that matches nothing and marks the group's place.
Before the router matches a request, :class:`BuildOnFirstRequest` builds each pending group whose
routes could match its path (the group's module is imported then, and its routes built on the
app by :meth:`RouteTable.install`), and puts the built routes where the pending group stood. The
router then matches against exactly the list an eager build makes, in the same order (a group
declared before another is still tried first: ``/sessions/{sid}/messages`` before
``/sessions/{sid}``), so answers, 404s, 405s and the slash redirects do not change.

Which paths could match is declared with the group, without importing it: ``starts``, the literal
beginnings of its routes' paths (each route's path up to its first ``{``, under the table's own
prefix). A route whose path starts with none of them would never be built;
tests/avcore/test_lazy_routes.py checks every lazily installed group of both functions.

The build runs inside the router itself, so inside every middleware of the app: a group that
fails to build is answered as any failing route is (a 500 carrying the request id, the security
headers and CORS, avcore.web), not by the server's last-resort handler outside them.

The OpenAPI document lists every route: ``app.openapi`` builds every pending group first. So
does :func:`build_pending`, for code that reads ``app.routes``.
"""

from __future__ import annotations

import gc
import importlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, params
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import ASGIApp, Receive, Scope, Send

from avcore.routes import RouteTable

STATE_KEY = "pending_route_groups"
# A group's dependencies and documented responses, or loaders of them called when it is built
# (their modules -- a dependency's, the error body's model -- may cost a cold start as much as the
# group's own).
Dependencies = Sequence[params.Depends] | Callable[[], Sequence[params.Depends]]
Responses = dict[int | str, dict[str, Any]]
GroupResponses = Responses | Callable[[], Responses] | None


def table_of(module: str, attribute: str = "router") -> Callable[[], RouteTable]:
    """A loader for the route table ``attribute`` of ``module``, imported when it is called."""

    def load() -> RouteTable:
        table = getattr(importlib.import_module(module), attribute)
        if not isinstance(table, RouteTable):
            raise TypeError(f"{module}.{attribute} is not a RouteTable")
        return table

    load.__qualname__ = f"table_of({module}.{attribute})"
    return load


class PendingGroup(BaseRoute):
    """A route group not built yet: it holds its place in the route list and matches nothing."""

    def __init__(
        self,
        load: Callable[[], RouteTable],
        *,
        starts: Sequence[str],
        prefix: str,
        dependencies: Dependencies,
        responses: GroupResponses,
    ) -> None:
        if not starts:
            raise ValueError("a lazily installed group needs the beginnings of its paths (starts)")
        self.load = load
        self.starts = tuple(prefix + start for start in starts)
        self.prefix = prefix
        self.dependencies = dependencies if callable(dependencies) else tuple(dependencies)
        self.responses = responses
        self.path = self.starts[0]  # only for reprs and tools that print routes

    def group_dependencies(self) -> Sequence[params.Depends]:
        return self.dependencies() if callable(self.dependencies) else self.dependencies

    def group_responses(self) -> Responses | None:
        return self.responses() if callable(self.responses) else self.responses

    def could_serve(self, path: str) -> bool:
        return path.startswith(self.starts)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        # Starlette's router asks every route in turn and moves on only on NoMatchFound; the
        # base class raises NotImplementedError, which would turn any url_for() naming a route
        # listed after a pending group into a 500.
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
        raise RuntimeError("a pending route group never matches, so it never handles a request")


@dataclass
class PendingGroups:
    """The pending groups of one app, built on demand."""

    app: FastAPI
    groups: list[PendingGroup] = field(default_factory=list)
    # One app can be served from several event loops at once (a test client per thread, a
    # threaded server): two first requests must not both build a group, or the second finds its
    # placeholder gone. Uncontended after the first requests; the check outside is only a fast path.
    lock: threading.RLock = field(default_factory=threading.RLock)

    def build_for(self, path: str) -> None:
        """Build every pending group that could serve ``path`` or its slash-toggled twin (the
        router tries that twin for its redirect)."""
        if not self.groups:
            return
        twin = path.rstrip("/") if path.endswith("/") else path + "/"
        with self.lock:
            for group in [g for g in self.groups if g.could_serve(path) or g.could_serve(twin)]:
                self._build(group)

    def build_all(self) -> None:
        with self.lock:
            for group in list(self.groups):
                self._build(group)

    def _build(self, group: PendingGroup) -> None:
        routes = self.app.router.routes
        before = len(routes)
        try:
            group.load().install(
                self.app,
                prefix=group.prefix,
                dependencies=group.group_dependencies(),
                responses=group.group_responses(),
            )
        except BaseException:
            # Routes installed before the failure would sit after the page's catch-all route and
            # be added again by the next attempt: take them out, keep the group pending.
            del routes[before:]
            raise
        built = routes[before:]
        del routes[before:]
        place = next(i for i, route in enumerate(routes) if route is group)
        routes[place : place + 1] = built
        self.groups.remove(group)
        if gc.get_freeze_count():
            # The process was settled once its app was built (avcore.runtime.built_and_settled):
            # settle what this group brought too (its routes, models, modules), or every full
            # collection a request triggers would walk them. Once per group and container.
            gc.freeze()


class BuildOnFirstRequest:
    """ASGI wrapper of the router: builds the pending groups a request's path needs, before routing."""

    def __init__(self, app: ASGIApp, pending: PendingGroups) -> None:
        self.app = app
        self.pending = pending

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.pending.groups:
            self.pending.build_for(_route_path(scope))
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The path the router matches: ``path`` without the ``root_path`` it is mounted under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :]
    return path


def pending_groups(app: FastAPI) -> PendingGroups:
    """The app's pending groups; the first call also wraps the router in what builds them and
    makes ``app.openapi`` build them all first."""
    pending: PendingGroups | None = getattr(app.state, STATE_KEY, None)
    if pending is None:
        pending = PendingGroups(app)
        setattr(app.state, STATE_KEY, pending)
        # Not app.add_middleware: an app middleware added here would sit outside those the app
        # added before (the request id, security headers, CORS), and a failed build would be
        # answered without them. The router's own stack (Starlette's ``Router(middleware=...)``)
        # is the innermost place a request passes through before it is matched.
        app.router.middleware_stack = BuildOnFirstRequest(app.router.middleware_stack, pending)
        _document_every_group(app, pending)
    return pending


def install_lazily(
    app: FastAPI,
    load: Callable[[], RouteTable],
    *,
    starts: Sequence[str],
    prefix: str = "",
    dependencies: Dependencies = (),
    responses: GroupResponses = None,
) -> None:
    """Install the table ``load()`` returns as :meth:`RouteTable.install` would, at this place in
    the route list, but built (and ``load`` called) only when a request's path begins with
    ``prefix`` + one of ``starts``."""
    group = PendingGroup(load, starts=starts, prefix=prefix, dependencies=dependencies, responses=responses)
    pending_groups(app).groups.append(group)
    app.router.routes.append(group)


def build_pending(app: FastAPI) -> None:
    """Build every group still pending, so ``app.routes`` lists every route."""
    pending: PendingGroups | None = getattr(app.state, STATE_KEY, None)
    if pending is not None:
        pending.build_all()


def _document_every_group(app: FastAPI, pending: PendingGroups) -> None:
    """The OpenAPI document, whoever customises it before or after, is made from every route."""
    make_document = app.openapi

    def openapi() -> dict[str, Any]:
        pending.build_all()
        return make_document()

    app.openapi = openapi  # type: ignore[method-assign]
