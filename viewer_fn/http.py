"""HTTP semantics the routes do not spell out: HEAD, and agentsview's write routes.

* ``HEAD`` works wherever ``GET`` does (:class:`HeadAsGet`): the request is routed
  as a GET and the body dropped, so status, ``Content-Length``, ``ETag`` and every
  other header are the GET's; a 405's ``Allow`` that offers GET offers HEAD too.
* agentsview's write routes (rename, delete, star, pin, upload, sync, settings, …)
  answer 405, with an ``Allow`` naming what the resource does support: ``GET,
  HEAD`` where the viewer serves the same path (``DELETE /sessions/{id}``), and
  nothing where it serves no method at all (RFC 9110 §10.2.1: an empty ``Allow``
  says the resource allows no method). Any other unknown path is a 404, whatever
  the method; a known path with another method is Starlette's 405 with its
  ``Allow``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from avcore.routes import RouteTable
from avcore.web import MethodNotAllowed

READ_ONLY_MESSAGE = "the viewer is read-only: it cannot change sessions, settings or anything else"
READABLE = "GET, HEAD"
# agentsview's write routes (its API, read side and write side), by path under /api/v1.
WRITE_ROUTES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("/sessions/{sid}", ("DELETE",), READABLE),
    ("/sessions/{sid}/rename", ("PATCH",), ""),
    ("/sessions/{sid}/restore", ("POST",), ""),
    ("/sessions/{sid}/permanent", ("DELETE",), ""),
    ("/sessions/{sid}/star", ("PUT", "DELETE"), ""),
    ("/sessions/{sid}/messages/{message_id}/pin", ("POST", "DELETE"), ""),
    ("/sessions/{sid}/publish", ("POST",), ""),
    ("/sessions/{sid}/resume", ("POST",), ""),
    ("/sessions/{sid}/open", ("POST",), ""),
    ("/sessions/upload", ("POST",), ""),
    ("/trash", ("DELETE",), ""),
    ("/starred/bulk", ("POST",), ""),
    ("/insights/generate", ("POST",), ""),
    ("/insights/{insight_id}", ("DELETE",), ""),
    ("/sync", ("POST",), ""),
    ("/resync", ("POST",), ""),
    ("/settings", ("PUT",), ""),
    ("/config/github", ("POST",), ""),
    ("/config/terminal", ("POST",), ""),
)


def write_routes() -> RouteTable:
    """One 405 route per agentsview write route; not in the OpenAPI document (they do nothing)."""
    router = RouteTable()
    for path, methods, allow in WRITE_ROUTES:

        def refuse(allow: str = allow) -> None:
            raise MethodNotAllowed(READ_ONLY_MESSAGE, headers={"Allow": allow})

        router.api_route(path, methods=methods, include_in_schema=False)(refuse)
    return router


def write_route_starts() -> tuple[str, ...]:
    """The literal beginnings of the write routes' paths (avcore.lazy_routes builds them on demand)."""
    return tuple(dict.fromkeys(path.split("{", 1)[0] for path, _, _ in WRITE_ROUTES))


class HeadAsGet:
    """Answer HEAD as GET without the body (pure ASGI, so streaming and headers are untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def respond(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                message = {**message, "headers": _with_head(message.get("headers", []))}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, respond)


def _with_head(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    out = []
    for name, value in headers:
        if name.lower() == b"allow":
            methods = [m.strip() for m in value.decode("latin-1").split(",") if m.strip()]
            if "GET" in methods and "HEAD" not in methods:
                methods.insert(methods.index("GET") + 1, "HEAD")
            value = ", ".join(methods).encode("latin-1")
        out.append((name, value))
    return out
