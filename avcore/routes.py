"""Route tables: a module's routes, declared once and built once, by the app that serves them.

A route module declares its routes with the decorators it would use on an ``APIRouter``
(``@router.get(path, response_model=...)``); the app then installs the table with the prefix,
dependencies and responses that apply to it. Why not ``APIRouter`` and ``include_router``:
FastAPI builds a route when it is declared on a router (its dependencies' signatures, one
pydantic ``TypeAdapter`` per parameter, the response model) and builds it again for each
``include_router`` level it passes through (FastAPI 0.165 derives an included route's context
anew, and eagerly when the include has no prefix). The viewer's routes went through three
levels: about 130 route builds for its 54 routes, a third of its cold start. A table's routes
are built exactly once, on the app itself, with the same paths, tags, responses, dependencies
and operation ids as before (the OpenAPI documents in docs/ are unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI, params

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Declared:
    """One route as its module declared it: what ``add_api_route`` needs, not yet built."""

    path: str
    endpoint: Callable[..., Any]
    methods: tuple[str, ...]
    options: dict[str, Any]


@dataclass
class RouteTable:
    """Routes declared with ``@table.get(...)`` / ``@table.post(...)``, built by :meth:`install`."""

    prefix: str = ""
    tags: Sequence[str] = ()
    routes: list[Declared] = field(default_factory=list)

    def api_route(self, path: str, *, methods: Sequence[str], **options: Any) -> Callable[[F], F]:
        def declare(endpoint: F) -> F:
            self.routes.append(Declared(self.prefix + path, endpoint, tuple(methods), options))
            return endpoint

        return declare

    def get(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.api_route(path, methods=("GET",), **options)

    def post(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.api_route(path, methods=("POST",), **options)

    def install(
        self,
        app: FastAPI,
        *,
        prefix: str = "",
        dependencies: Sequence[params.Depends] = (),
        responses: dict[int | str, dict[str, Any]] | None = None,
    ) -> None:
        """Build every route of the table on ``app``, under ``prefix``; what is given here comes
        first (dependencies run before the route's own; a route's own responses win), as
        ``include_router`` orders them."""
        for route in self.routes:
            options = dict(route.options)
            app.router.add_api_route(
                prefix + route.path,
                route.endpoint,
                methods=list(route.methods),
                tags=[*self.tags, *options.pop("tags", ())],
                dependencies=[*dependencies, *options.pop("dependencies", ())],
                responses={**(responses or {}), **options.pop("responses", {})},
                **options,
            )
