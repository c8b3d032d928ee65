"""The viewer's OpenAPI document: FastAPI's, with the errors the viewer really sends.

FastAPI documents a 422 ``HTTPValidationError`` for every route with parameters;
the viewer answers 400 with its one error body (avcore.web) instead, as
``application/problem+json``. Operation ids are the route functions' names, so
the generated TypeScript types read well. The document is kept in
docs/openapi-viewer.json (``python -m infra.openapi``); a test fails on drift.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from viewer_fn.models_base import ErrorBody

PROBLEM = "application/problem+json"
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ErrorBody,
        "description": "a parameter is wrong; the message names it and what is allowed",
    },
    401: {"model": ErrorBody, "description": "no or an invalid viewer credential"},
    403: {"model": ErrorBody, "description": "a device token: only viewer credentials may read"},
    503: {"model": ErrorBody, "description": "the database is unavailable or at another schema version"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "no such session"}}


def operation_id(route: APIRoute) -> str:
    return route.name


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = _errors_as_sent(doc)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise


def _errors_as_sent(doc: dict[str, Any]) -> dict[str, Any]:
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            for status, response in responses.items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content[PROBLEM] = content.pop("application/json")
    schemas = doc.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return doc
