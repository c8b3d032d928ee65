"""What the server holds for the device's machine: deletes, status, the held list; and health."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from avcore.routes import RouteTable
from avcore.web import BadRequest
from avprotocol import PROTOCOL_VERSION, __version__
from avprotocol.answers import (
    DeleteResponse,
    DeleteResult,
    FieldError,
    HealthResponse,
    HeldSessionsResponse,
    Problem,
    StatusResponse,
)
from avprotocol.identifiers import echoed, identifier_problem
from avprotocol.limits import DEFAULT_HELD_PAGE, MAX_HELD_PAGE
from avprotocol.requests import DeleteRequest
from ingest_fn.body import checked_json
from ingest_fn.deps import Conn, Device, read_body, recorded_answer
from ingest_fn.machine_view import database_id, delete_sessions, held_sessions, status
from ingest_fn.parsing import validate_request
from ingest_fn.replay import REUSED_REQUEST_ID, once, request_digest

router = RouteTable()
public = RouteTable()  # no authentication, so none of the device's errors


@router.post("/v1/deletes", response_model=DeleteResponse, responses=REUSED_REQUEST_ID)
async def deletes_route(request: Request, device: Device, conn: Conn) -> Response:
    digest, body = await read_body(
        request, lambda data: (request_digest("/v1/deletes", data), checked_json(data))
    )
    req = validate_request(DeleteRequest, body, "deletes")

    problems = {i: identifier_problem(sid) for i, sid in enumerate(req.session_ids)}

    def delete_all() -> dict[str, Any]:
        valid = [sid for i, sid in enumerate(req.session_ids) if problems[i] is None]
        done = iter(delete_sessions(conn, machine_id=device.machine_id, session_ids=valid, action=req.action))
        results = [
            next(done)
            if problem is None
            else DeleteResult(
                session_id=echoed(req.session_ids[i]),
                status="rejected",
                errors=[FieldError(field=f"session_ids.{i}", message=problem)],
            )
            for i, problem in problems.items()
        ]
        return DeleteResponse(
            request_id=req.request_id, database_id=database_id(conn), results=results
        ).model_dump(mode="json")

    answer, replayed = await run_in_threadpool(
        once, conn, device_id=device.device_id, request_id=req.request_id, digest=digest, compute=delete_all
    )
    return recorded_answer(answer, replayed)


@router.get("/v1/status", response_model=StatusResponse)
def status_route(device: Device, conn: Conn) -> StatusResponse:
    return StatusResponse(database_id=database_id(conn), **status(conn, machine_id=device.machine_id))


@router.get("/v1/sessions", response_model=HeldSessionsResponse)
def held_route(
    device: Device,
    conn: Conn,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_HELD_PAGE)] = DEFAULT_HELD_PAGE,
) -> HeldSessionsResponse:
    try:
        after = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode() if cursor else ""
        if "\x00" in after:  # no session id holds one (PostgreSQL text cannot)
            raise ValueError(after)
    except ValueError:
        raise BadRequest("cursor: invalid (use next_cursor from the previous page)") from None
    rows = held_sessions(conn, machine_id=device.machine_id, after=after, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = base64.urlsafe_b64encode(rows[-1].session_id.encode()).decode()
    return HeldSessionsResponse(database_id=database_id(conn), sessions=rows, next_cursor=next_cursor)


@public.get(
    "/v1/health",
    response_model=HealthResponse,
    responses={
        503: {"model": Problem, "description": "The function's database settings are unusable (named)"}
    },
)
def health_route(request: Request) -> HealthResponse:
    """No authentication: whether the function is up, and which release and protocol it speaks.

    Up means its database settings can be used (the DSN parses and passes the TLS policy): a
    cold start no longer reads them, so this is where a bad one shows before any push. It does
    not connect: a database that is down is each request's own 503."""
    request.app.state.db.check_settings()
    return HealthResponse(protocol=PROTOCOL_VERSION, version=__version__)
