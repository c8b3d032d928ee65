"""``POST /v1/plan`` (what the server lacks) and ``POST /v1/push`` (sessions and parts)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import psycopg
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from avcore.metrics import emit
from avcore.routes import RouteTable
from avprotocol.answers import FieldError, ItemResult, PlanResponse, PlanResult, PushResponse
from avprotocol.identifiers import echoed
from avprotocol.requests import PlanEnvelope, PlanSessionIn
from avprotocol.session import SessionIn
from ingest_fn.deps import Conn, Device, read_body, recorded_answer
from ingest_fn.machine_view import database_id, touch_machine
from ingest_fn.parsing import ParsedPush, errors_of, parse_push, validate_request
from ingest_fn.planning import plan
from ingest_fn.replay import REUSED_REQUEST_ID, once, request_digest
from ingest_fn.store import Outcome, write_sessions

router = RouteTable()


@router.post("/v1/plan", response_model=PlanResponse)
async def plan_route(request: Request, device: Device, conn: Conn) -> PlanResponse:
    envelope = validate_request(PlanEnvelope, await read_body(request), "plan")
    items: list[PlanSessionIn | PlanResult] = []
    for raw in envelope.sessions:  # one by one: a bad item is rejected alone, the others planned
        try:
            items.append(PlanSessionIn.model_validate(raw))
        except ValidationError as exc:
            sid = echoed(raw.get("session_id") if isinstance(raw, dict) else None)
            errors = [FieldError.model_validate(e) for e in errors_of(exc)]
            items.append(PlanResult(session_id=sid, action="rejected", errors=errors))
    valid = [item for item in items if isinstance(item, PlanSessionIn)]
    planned = iter(await run_in_threadpool(plan, conn, machine_id=device.machine_id, sessions=valid))
    results = [item if isinstance(item, PlanResult) else next(planned) for item in items]
    return PlanResponse(database_id=database_id(conn), results=results)


@router.post("/v1/push", response_model=PushResponse, responses=REUSED_REQUEST_ID)
async def push_route(request: Request, device: Device, conn: Conn) -> Response:
    digest, parsed = await read_body(
        request, lambda data: (request_digest("/v1/push", data), parse_push(data))
    )
    # Database work runs off the event loop, so under uvicorn the next request's body
    # is received (and a second database connection used) while this one writes.
    answer, replayed = await run_in_threadpool(
        once,
        conn,
        device_id=device.device_id,
        request_id=parsed.request_id,
        digest=digest,
        compute=lambda: push_answer(conn, machine_id=device.machine_id, parsed=parsed),
    )
    if not replayed and any(r["status"] == "applied" for r in answer["results"]):
        # After the commit, not inside it: every request of a machine updates this one row,
        # and holding its lock until commit would make a machine's requests queue.
        await run_in_threadpool(touch_machine, conn, device.machine_id)
    count_push(answer, replayed=replayed)
    return recorded_answer(answer, replayed)


def count_push(answer: dict[str, Any], *, replayed: bool) -> None:
    """One metrics line per push (avcore.metrics); a replayed answer counts no session twice."""
    statuses = Counter(r["status"] for r in answer["results"]) if not replayed else Counter()
    emit(
        {
            "Pushes": 1,
            "SessionsApplied": statuses["applied"],
            "SessionsUnchanged": statuses["unchanged"],
            "SessionsRejected": statuses["rejected"],
            "SessionsToResend": statuses["resend"],
        },
        message="push",
        replayed=replayed,
    )


def push_answer(conn: psycopg.Connection, *, machine_id: int, parsed: ParsedPush) -> dict[str, Any]:
    """Write the valid sessions; every item's result in request order (rejections where they were)."""
    sessions = [item for item in parsed.items if isinstance(item, SessionIn)]
    outcomes: list[Outcome] = write_sessions(conn, machine_id=machine_id, sessions=sessions)
    written = iter(zip(sessions, outcomes, strict=True))
    results: list[ItemResult] = []
    for item in parsed.items:
        if isinstance(item, ItemResult):
            results.append(item)
        else:
            session, outcome = next(written)
            results.append(outcome.result(session.session_id))
    response = PushResponse(request_id=parsed.request_id, database_id=database_id(conn), results=results)
    return response.model_dump(mode="json")
