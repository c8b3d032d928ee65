"""The ingest API (protocol v1): wiring of routes to auth, body reading and the store."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from pydantic import ValidationError

from avcore.db.policy import plan_connection
from avcore.db.pool import Database
from avcore.settings import IngestSettings, load
from avcore.web import BadRequest, install_error_handling, install_request_middleware
from ingest_fn.auth import authenticate_device, bearer_token
from ingest_fn.body import read_json_body
from ingest_fn.protocol import PROTOCOL_VERSION, ItemResult, PushRequest, PushResponse, SessionIn
from ingest_fn.store import apply_session, database_id

log = logging.getLogger("av.ingest")


def _item_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()[:20]]


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or load(IngestSettings)
    dsn = settings.dsn()
    db = Database(
        plan_connection(dsn, allow_insecure=settings.db_allow_insecure,
                        server_settings={"statement_timeout": str(settings.db_statement_timeout_ms)},
                        application_name="av-ingest"),
        component="ingest_fn", allow_insecure=settings.db_allow_insecure,
        max_size=settings.db_pool_size, dsn_for_scrubbing=dsn,
    )
    app = FastAPI(title="av-cloud ingest", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/v1/openapi.json")
    app.state.db = db
    app.state.settings = settings
    install_error_handling(app, component="ingest_fn")
    install_request_middleware(app, component="ingest_fn")

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "protocol": PROTOCOL_VERSION}

    @app.post("/v1/push", response_model=PushResponse)
    async def push(request: Request) -> PushResponse:
        token = bearer_token(request)
        with db.connection() as conn:
            # Authenticate before touching the body: strangers never make us decompress or parse.
            device = authenticate_device(conn, token, scope="push")
            body = await read_json_body(request, max_bytes=settings.max_body_bytes,
                                        max_decompressed=settings.max_decompressed_bytes)
            if isinstance(body, dict) and body.get("protocol") not in (None, PROTOCOL_VERSION):
                raise BadRequest(f"unsupported protocol version {body.get('protocol')!r}; "
                                 f"this server speaks {PROTOCOL_VERSION}")
            try:
                req = PushRequest.model_validate(body)
            except ValidationError as exc:
                raise BadRequest("invalid push request", errors=_item_errors(exc)) from None
            results = []
            for raw in req.sessions:
                sid = str(raw.get("session_id", "")) if isinstance(raw, dict) else ""
                try:
                    session = SessionIn.model_validate(raw)
                except ValidationError as exc:
                    results.append(ItemResult(session_id=sid, status="rejected", reason="invalid session",
                                              errors=_item_errors(exc)))
                    continue
                try:
                    outcome = apply_session(conn, machine_id=device.machine_id, session=session)
                except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
                    # The transaction rolled back: nothing of this session was written.
                    log.warning("session rejected by the database", extra={"sqlstate": exc.sqlstate})
                    results.append(ItemResult(session_id=session.session_id, status="rejected",
                                              reason=f"the database refused the session ({exc.sqlstate})"))
                    continue
                results.append(ItemResult(session_id=session.session_id, status=outcome.status))
            return PushResponse(request_id=req.request_id, database_id=database_id(conn), results=results)

    return app
