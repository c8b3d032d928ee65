"""Settling a long-running process (a Lambda container, the local stack's servers) after it has built its app.

Every object alive once the app is built — frameworks, route tables, pydantic
schemas, hundreds of thousands of them — is moved to the garbage collector's
permanent generation, so it is never walked again. Requests allocate tens of
thousands of objects (a push's models); without this, each full collection those
allocations trigger walks the whole app too: parsing a 10 MB push took 45 ms
instead of 30 ms (bench/ingest_bench.py data). AWS recommends the same for
Python functions. There is no ``gc.collect()`` first: it would cost cold start,
and what it would free is a few kilobytes of start-up garbage.

The Lambda handlers go further: they turn the collector off before their first import
(``gc.disable()``), as everything the imports and the app build allocate lives on; it ran ~110
times during a handler's import, ~25 ms, walking objects that were never garbage. Freezing
turns it back on.
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def built_and_settled(build: Callable[[], T]) -> T:
    """``build()``, then freeze everything alive into the GC's permanent generation, and turn
    the collector (back) on: a handler turns it off while it imports (above)."""
    app = build()
    gc.freeze()
    gc.enable()
    return app


def under_base_path(app: Any, base: str) -> Any:
    """``app`` (whose routes live under ``base``), reached with or without ``base`` in the path.

    Behind a custom domain mapped at ``base``, API Gateway hands the function the path with
    the mapping's prefix; a gateway or proxy that strips it hands the bare path. Both must
    reach the same route, so a bare path is given the prefix here, at the edge of the app.
    """
    if not base:
        return app

    async def app_under_base(
        scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path != base and not path.startswith(base + "/"):
                scope = {**scope, "path": base + path, "raw_path": (base + path).encode()}
        await app(scope, receive, send)

    return app_under_base


def decoded_once(event: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event whose path Mangum will not decode again.

    API Gateway HTTP APIs hand the function the path already percent-decoded; Mangum decodes
    it once more, so an escaped ``%2F`` of a session id (docs/api.md, "Session ids in paths")
    would become ``/`` and ``%41`` in an id ``A``. Escaping the path's ``%`` makes Mangum's
    decoding give back exactly what API Gateway sent, as any ASGI server would."""
    http = event.get("requestContext", {}).get("http")
    if event.get("version") != "2.0" or not isinstance(http, dict) or "%" not in str(http.get("path", "")):
        return event
    return {
        **event,
        "requestContext": {
            **event["requestContext"],
            "http": {**http, "path": http["path"].replace("%", "%25")},
        },
    }
