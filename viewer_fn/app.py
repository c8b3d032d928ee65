"""The viewer: read-only JSON API under /api/v1 and the static web page.

It connects as the reader role with read-only transactions, so it cannot write
even if its code tried. Every /api route needs a viewer credential.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from importlib import resources
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import Response

from avcore.db.policy import plan_connection
from avcore.db.pool import Database
from avcore.schema import SCHEMA_VERSION
from avcore.settings import ViewerSettings, load
from avcore.web import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    install_error_handling,
    install_request_middleware,
    json_response,
)
from viewer_fn.auth import COOKIE_NAME, Viewer, authenticate, check_token, login_cookie
from viewer_fn.queries import get_session, list_messages, list_sessions
from viewer_fn.signing import BadSignature, Signer

DEFAULT_SESSION_PAGE = 50
MAX_SESSION_PAGE = 500
DEFAULT_MESSAGE_PAGE = 200
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}


def _split_id(sid: str) -> tuple[str, str]:
    machine, sep, session_id = sid.partition(":")
    if not sep or not machine or not session_id:
        raise NotFound(f"no session with id {sid!r} (ids look like '<machine>:<session id>')")
    return machine, session_id


def _connection(request: Request) -> Iterator[psycopg.Connection]:
    with request.app.state.db.connection() as conn:
        yield conn


Conn = Annotated[psycopg.Connection, Depends(_connection)]


def _viewer(request: Request, conn: Conn) -> Viewer:
    return authenticate(conn, request, request.app.state.signer)


CurrentViewer = Annotated[Viewer, Depends(_viewer)]


def create_app(settings: ViewerSettings | None = None) -> FastAPI:
    settings = settings or load(ViewerSettings)
    dsn = settings.dsn()
    db = Database(
        plan_connection(dsn, allow_insecure=settings.db_allow_insecure, application_name="av-viewer",
                        server_settings={"default_transaction_read_only": "on",
                                         "statement_timeout": str(settings.db_statement_timeout_ms)}),
        component="viewer_fn", allow_insecure=settings.db_allow_insecure,
        max_size=settings.db_pool_size, dsn_for_scrubbing=dsn,
    )
    signer = Signer(settings.session_secret.get_secret_value())
    base = settings.base_path
    app = FastAPI(title="av-cloud viewer", version="1", docs_url=None, redoc_url=None,
                  openapi_url=f"{base}/api/v1/openapi.json")
    app.state.db = db
    install_error_handling(app, component="viewer_fn")
    install_request_middleware(app, component="viewer_fn")

    app.state.signer = signer
    api = APIRouter(prefix=f"{base}/api/v1")

    @api.post("/auth/login")
    async def login(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            raise BadRequest("send JSON: {\"token\": \"<viewer token>\"}") from None
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise BadRequest("token: required (a viewer token from `av-admin viewer add`)")
        with db.connection() as conn:
            who = check_token(conn, token.strip())
        response = json_response({"ok": True, "name": who.name})
        response.set_cookie(COOKIE_NAME, login_cookie(signer, who, settings.session_ttl_s),
                            max_age=settings.session_ttl_s, path=f"{base}/", secure=True, httponly=True,
                            samesite="strict")
        return response

    @api.post("/auth/logout")
    def logout() -> Response:
        response = json_response({"ok": True})
        response.delete_cookie(COOKIE_NAME, path=f"{base}/", secure=True, httponly=True, samesite="strict")
        return response

    @api.get("/auth/me")
    def me(who: CurrentViewer) -> dict[str, Any]:
        return {"ok": True, "name": who.name}

    @api.get("/version")
    def version(who: CurrentViewer) -> dict[str, Any]:
        return {"ok": True, "version": "0.1.0", "schema_version": SCHEMA_VERSION, "read_only": True}

    @api.get("/sessions")
    def sessions(
        who: CurrentViewer, conn: Conn,
        limit: Annotated[int, Query(ge=1, le=MAX_SESSION_PAGE)] = DEFAULT_SESSION_PAGE,
        cursor: str | None = None, include_children: bool = False,
        machine: str | None = None, project: str | None = None, agent: str | None = None,
    ) -> dict[str, Any]:
        after = None
        if cursor:
            try:
                data = signer.unsign("cursor", cursor)
                after = (datetime.fromisoformat(data["t"]), int(data["i"]))
            except (BadSignature, KeyError, ValueError, TypeError):
                raise BadRequest("cursor: invalid (use the next_cursor value of the previous page)") from None
        split = lambda v: [x for x in v.split(",") if x] if v else None  # noqa: E731
        rows, total = list_sessions(conn, limit=limit, after=after, include_children=include_children,
                                    machine=split(machine), project=split(project), agent=split(agent),
                                    with_total=after is None)
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            next_cursor = signer.sign("cursor", {"t": last["last_activity"].isoformat(), "i": last["pk"]})
        for row in rows:
            row.pop("pk")
        return {"ok": True, "sessions": rows, "next_cursor": next_cursor, "total": total}

    def _session_or_404(conn: psycopg.Connection, sid: str) -> dict[str, Any]:
        machine, session_id = _split_id(sid)
        row = get_session(conn, machine=machine, session_id=session_id)
        if row is None:
            raise NotFound(f"no session with id {sid!r}")
        return row

    @api.get("/sessions/{sid}")
    def session_detail(sid: str, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
        row = _session_or_404(conn, sid)
        row.pop("pk")
        return {"ok": True, "session": row}

    @api.get("/sessions/{sid}/messages")
    def messages(
        sid: str, who: CurrentViewer, conn: Conn,
        start: Annotated[int | None, Query(alias="from", ge=0)] = None,
        limit: Annotated[int, Query(ge=1)] = DEFAULT_MESSAGE_PAGE,
        direction: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    ) -> dict[str, Any]:
        if limit > settings.max_page_size:
            raise BadRequest(f"limit: must be between 1 and {settings.max_page_size}")
        row = _session_or_404(conn, sid)
        rows = list_messages(conn, pk=row["pk"], start=start, limit=limit, descending=direction == "desc")
        return {"ok": True, "messages": rows, "count": len(rows)}

    @api.api_route("/{path:path}", methods=["POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def read_only(path: str) -> None:
        raise MethodNotAllowed("the viewer is read-only: it cannot change sessions or settings")

    app.include_router(api)
    _mount_static(app, base)
    return app


def _static_file(name: str) -> Response:
    folder = resources.files("viewer_fn") / "static"
    target = folder / name
    if "/" in name or name.startswith(".") or not target.is_file():
        raise NotFound(f"no file {name!r}")
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return Response(target.read_bytes(), media_type=STATIC_TYPES.get(suffix, "application/octet-stream"),
                    headers={"Cache-Control": "no-cache"})


def _mount_static(app: FastAPI, base: str) -> None:
    @app.get(f"{base}/", include_in_schema=False)
    def index() -> Response:
        return _static_file("index.html")

    if base:
        @app.get(base, include_in_schema=False)
        def index_redirect() -> Response:
            return Response(status_code=301, headers={"Location": f"{base}/"})

    @app.get(f"{base}/static/{{name}}", include_in_schema=False)
    def static(name: str) -> Response:
        return _static_file(name)
