"""The ingest API (protocol v1, the ``avprotocol`` package): wiring only.

Routes live in one module per concept (``routes_push.py``: plan and push;
``routes_machine.py``: deletes, status, the held list, health), with their
dependencies (connection, device, body) in ``deps.py``; this module builds the
app once per container and describes the request bodies the routes read
themselves (gzip, size caps) in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel

from avcore.db.connect import database_for
from avcore.lazy_routes import install_lazily, table_of
from avcore.runtime import built_and_settled
from avcore.settings import IngestSettings, load
from avcore.web import error_response, install_error_handling, install_request_middleware
from avprotocol import PROTOCOL_VERSION, __version__

# The route groups, built on the first request that could use them (avcore.lazy_routes), with the
# beginnings of their paths (tests/avcore/test_lazy_routes.py checks they cover every route).
PUSH_PATHS = ("/v1/plan", "/v1/push")
MACHINE_PATHS = ("/v1/deletes", "/v1/status", "/v1/sessions")
PUBLIC_PATHS = ("/v1/health",)
# Every error has the one body (avcore.web); these are the statuses a route can answer with.
ERROR_STATUSES: dict[int | str, str] = {
    400: "Malformed or invalid request (the body names what was wrong)",
    401: "No, malformed, unknown or revoked device token",
    403: "Not a device token with the push scope, or not over HTTPS",
    413: "Body or decompressed body over the limit",
    415: "Content-Type or Content-Encoding not accepted",
    429: "Too many requests or failed authentications (Retry-After)",
    503: "Database unavailable or schema mismatch (Retry-After)",
}


def errors() -> dict[int | str, dict[str, Any]]:
    """The error statuses with their body's model, for a route group as it is built: the model's
    module (``avprotocol.answers``, every answer of the protocol) is not built at the cold start."""
    from avprotocol.answers import Problem

    return {status: {"model": Problem, "description": text} for status, text in ERROR_STATUSES.items()}


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or load(IngestSettings)
    db = database_for(
        settings,
        component="ingest_fn",
        application_name="av-ingest",
        server_settings={"statement_timeout": str(settings.db_statement_timeout_ms)},
    )
    app = FastAPI(
        title="av-cloud ingest",
        version=__version__,
        summary=f"Ingest protocol v{PROTOCOL_VERSION} (docs/protocol.md)",
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{settings.base_path}/v1/openapi.json",
    )
    app.state.db = db
    app.state.settings = settings
    install_error_handling(app, component="ingest_fn")
    if settings.environment != "local":
        _require_https(app)
    install_request_middleware(app, component="ingest_fn", count_refusals=True)
    # Served under AV_BASE_PATH when the API is mapped there on a custom domain (the Lambda
    # handler adds it to paths that arrive without it): the same app answers both ways.
    base = settings.base_path
    install_lazily(app, table_of("ingest_fn.routes_push"), starts=PUSH_PATHS, prefix=base, responses=errors)
    install_lazily(
        app, table_of("ingest_fn.routes_machine"), starts=MACHINE_PATHS, prefix=base, responses=errors
    )
    install_lazily(app, table_of("ingest_fn.routes_machine", "public"), starts=PUBLIC_PATHS, prefix=base)
    _document_request_bodies(app, settings.base_path)
    return app


def _require_https(app: FastAPI) -> None:
    @app.middleware("http")
    async def https_only(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # API Gateway terminates TLS and says so in X-Forwarded-Proto; anything else
        # reached the function some other way and may have crossed a network in clear.
        proto = request.headers.get("x-forwarded-proto", request.url.scheme)
        if proto.split(",")[0].strip().lower() != "https":
            return error_response(403, "HTTPS is required: this request did not arrive over HTTPS")
        return await call_next(request)


def _document_request_bodies(app: FastAPI, base_path: str) -> None:
    """Routes read their bodies themselves (gzip, limits), so describe them explicitly.

    Query parameters are checked by FastAPI, whose refusals the one error handler answers
    with 400 and the error body, so its default 422 answer is not in the document.
    """
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = original()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for operations in document["paths"].values():
            for operation in operations.values():
                operation["responses"].pop("422", None)
        from avprotocol.session import SessionIn  # the push's models: built with the document, not at start

        request_bodies = _request_bodies()
        models: list[type[BaseModel]] = [*request_bodies.values(), SessionIn]
        for model in models:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
        for path, model in request_bodies.items():
            document["paths"][base_path + path]["post"]["requestBody"] = {
                "required": True,
                "description": "JSON, optionally Content-Encoding: gzip. Push items are SessionIn objects.",
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
                },
            }
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _request_bodies() -> dict[str, type[BaseModel]]:
    from avprotocol.requests import DeleteRequest, PlanRequest, PushRequest

    return {"/v1/plan": PlanRequest, "/v1/push": PushRequest, "/v1/deletes": DeleteRequest}


def serving_app() -> FastAPI:
    """The app for a long-running server (the local stack's uvicorn server): built, then settled
    (avcore.runtime). Its database settings are planned now (read and checked against the TLS
    policy, no connection made): a server that runs for hours pays nothing for it, and one whose
    settings are unusable should not start. Whether the database answers is each request's
    business, as on Lambda."""
    app = built_and_settled(create_app)
    app.state.db.check_settings()
    return app
