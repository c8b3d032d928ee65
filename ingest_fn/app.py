"""The ingest API (protocol v1): wiring of routes to auth, body reading and the store."""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

import psycopg
from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from avcore.db.policy import plan_connection
from avcore.db.pool import Database
from avcore.runtime import built_and_settled
from avcore.settings import IngestSettings, load
from avcore.web import (
    BadRequest,
    Forbidden,
    Unauthorized,
    client_address,
    install_error_handling,
    install_request_middleware,
    json_response,
)
from ingest_fn.auth import DeviceIdentity, authenticate_device, bearer_token
from ingest_fn.batch import apply_batch
from ingest_fn.body import checked_json, read_json_body
from ingest_fn.limits import count_request, record_failure, refuse_if_blocked
from ingest_fn.machine_view import delete_sessions, held_sessions, status
from ingest_fn.parsing import ParsedPush, parse_push, validate_request
from ingest_fn.planning import plan
from ingest_fn.protocol import (
    PROTOCOL_VERSION,
    DeleteRequest,
    DeleteResponse,
    HeldSessionsResponse,
    ItemResult,
    PlanRequest,
    PlanResponse,
    PushRequest,
    PushResponse,
    SessionIn,
    StatusResponse,
)
from ingest_fn.replay import once
from ingest_fn.store import database_id, touch_machine

log = logging.getLogger("av.ingest")
MAX_HELD_PAGE = 5_000


def _connection(request: Request) -> Iterator[psycopg.Connection]:
    with request.app.state.db.connection() as conn:
        yield conn


Conn = Annotated[psycopg.Connection, Depends(_connection)]


def _device(request: Request, conn: Conn) -> DeviceIdentity:
    # Authenticate before touching the body: strangers never make us decompress or parse.
    settings: IngestSettings = request.app.state.settings
    address = client_address(request)
    refuse_if_blocked(
        conn,
        address=address,
        limit=settings.auth_failures_per_window,
        window_s=settings.auth_failure_window_s,
    )
    try:
        device = authenticate_device(conn, bearer_token(request), scope="push")
    except (Unauthorized, Forbidden):
        record_failure(conn, address=address, window_s=settings.auth_failure_window_s)
        raise
    count_request(conn, device_id=device.device_id, per_minute=settings.device_rate_per_minute)
    return device


Device = Annotated[DeviceIdentity, Depends(_device)]


async def _body(request: Request, parse: Callable[[bytes], Any] = checked_json) -> Any:
    settings: IngestSettings = request.app.state.settings
    return await read_json_body(
        request,
        max_bytes=settings.max_body_bytes,
        max_decompressed=settings.max_decompressed_bytes,
        parse=parse,
    )


def _answer(answer: dict[str, Any], replayed: bool) -> Response:
    return json_response(answer, headers={"Idempotent-Replay": "true"} if replayed else None)


REQUEST_BODIES: dict[str, type[BaseModel]] = {
    "/v1/plan": PlanRequest,
    "/v1/push": PushRequest,
    "/v1/deletes": DeleteRequest,
}


def _document_request_bodies(app: FastAPI) -> None:
    """Routes read their bodies themselves (gzip, limits), so describe them explicitly."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = original()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        models: list[type[BaseModel]] = [*REQUEST_BODIES.values(), SessionIn]
        for model in models:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
        for path, model in REQUEST_BODIES.items():
            document["paths"][path]["post"]["requestBody"] = {
                "required": True,
                "description": "JSON, optionally Content-Encoding: gzip. Push items are SessionIn objects.",
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
                },
            }
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or load(IngestSettings)
    dsn = settings.dsn()
    db = Database(
        plan_connection(
            dsn,
            allow_insecure=settings.db_allow_insecure,
            server_settings={"statement_timeout": str(settings.db_statement_timeout_ms)},
            application_name="av-ingest",
        ),
        component="ingest_fn",
        allow_insecure=settings.db_allow_insecure,
        max_size=settings.db_pool_size,
        dsn_for_scrubbing=dsn,
    )
    app = FastAPI(
        title="av-cloud ingest", version="1", docs_url=None, redoc_url=None, openapi_url="/v1/openapi.json"
    )
    app.state.db = db
    app.state.settings = settings
    install_error_handling(app, component="ingest_fn")

    if settings.environment != "local":

        @app.middleware("http")
        async def _https_only(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            # API Gateway terminates TLS and says so in X-Forwarded-Proto; anything else
            # reached the function some other way and may have crossed a network in clear.
            proto = request.headers.get("x-forwarded-proto", request.url.scheme)
            if proto.split(",")[0].strip().lower() != "https":
                from avcore.web import error_response

                return error_response(403, "HTTPS is required: this request did not arrive over HTTPS")
            return await call_next(request)

    install_request_middleware(app, component="ingest_fn")

    _document_request_bodies(app)

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "protocol": PROTOCOL_VERSION}

    @app.post("/v1/plan", response_model=PlanResponse)
    async def plan_route(request: Request, device: Device, conn: Conn) -> PlanResponse:
        req = validate_request(PlanRequest, await _body(request), "plan")
        results = await run_in_threadpool(plan, conn, machine_id=device.machine_id, sessions=req.sessions)
        return PlanResponse(database_id=database_id(conn), results=results)

    @app.post("/v1/push", response_model=PushResponse)
    async def push(request: Request, device: Device, conn: Conn) -> Response:
        parsed: ParsedPush = await _body(request, parse_push)

        def apply_all() -> dict[str, Any]:
            sessions = [item for item in parsed.items if isinstance(item, SessionIn)]
            outcomes = iter(apply_batch(conn, machine_id=device.machine_id, sessions=sessions))
            results: list[ItemResult] = []
            for item in parsed.items:  # rejections stay where they were; outcomes fill the rest in order
                if isinstance(item, ItemResult):
                    results.append(item)
                else:
                    outcome = next(outcomes)
                    results.append(
                        ItemResult(
                            session_id=item.session_id,
                            status=outcome.status,
                            reason=outcome.reason,
                        )
                    )
            response = PushResponse(
                request_id=parsed.request_id, database_id=database_id(conn), results=results
            )
            return response.model_dump(mode="json")

        # Database work runs off the event loop, so under uvicorn the next request's body
        # is received (and a second database connection used) while this one writes.
        answer, replayed = await run_in_threadpool(
            once, conn, device_id=device.device_id, request_id=parsed.request_id, compute=apply_all
        )
        if not replayed and any(r["status"] == "applied" for r in answer["results"]):
            # After the commit, not inside it: every request of a machine updates this one row,
            # and holding its lock until commit would make a machine's requests queue.
            await run_in_threadpool(touch_machine, conn, device.machine_id)
        return _answer(answer, replayed)

    @app.post("/v1/deletes", response_model=DeleteResponse)
    async def deletes(request: Request, device: Device, conn: Conn) -> Response:
        req = validate_request(DeleteRequest, await _body(request), "deletes")

        def delete_all() -> dict[str, Any]:
            results = delete_sessions(conn, machine_id=device.machine_id, session_ids=req.session_ids)
            return DeleteResponse(
                request_id=req.request_id, database_id=database_id(conn), results=results
            ).model_dump(mode="json")

        answer, replayed = await run_in_threadpool(
            once, conn, device_id=device.device_id, request_id=req.request_id, compute=delete_all
        )
        return _answer(answer, replayed)

    @app.get("/v1/status", response_model=StatusResponse)
    def status_route(device: Device, conn: Conn) -> StatusResponse:
        return StatusResponse(database_id=database_id(conn), **status(conn, machine_id=device.machine_id))

    @app.get("/v1/sessions", response_model=HeldSessionsResponse)
    def held(
        device: Device,
        conn: Conn,
        cursor: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_HELD_PAGE)] = 1000,
    ) -> HeldSessionsResponse:
        try:
            after = base64.urlsafe_b64decode(cursor.encode()).decode() if cursor else ""
        except ValueError:
            raise BadRequest("cursor: invalid (use next_cursor from the previous page)") from None
        rows = held_sessions(conn, machine_id=device.machine_id, after=after, limit=limit + 1)
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = base64.urlsafe_b64encode(rows[-1].session_id.encode()).decode()
        return HeldSessionsResponse(sessions=rows, next_cursor=next_cursor)

    return app


def serving_app() -> FastAPI:
    """The app for a long-running server (the local stack's uvicorn): built, then settled (avcore.runtime)."""
    return built_and_settled(create_app)
