"""Weak ETags for session and message responses, and the 304 shortcut.

A session's ``change_seq`` takes a new value on every write to it, so
``(change_seq, path, query)`` names one response body exactly. The tag also
carries the schema version and the API revision, so a release that changes the
JSON never revalidates a body cached by the previous one. The check runs before
the expensive query: a poll of an unchanged session costs one index lookup.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from avcore.schema import SCHEMA_VERSION

CACHE_CONTROL = "private, no-cache"  # always revalidate; the ETag makes that cheap
# Bump when a response's shape or content rules change without a schema migration.
API_REVISION = 2


def etag(request: Request, version: int) -> str:
    query = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
    digest = hashlib.sha256(f"{request.url.path}?{query}".encode()).hexdigest()[:16]
    return f'W/"{SCHEMA_VERSION}.{API_REVISION}-{version}-{digest}"'


def _matches(header: str | None, tag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    bare = tag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == bare for t in header.split(","))


def conditional(request: Request, version: int, build: Callable[[], BaseModel | bytes]) -> Response:
    """304 when the client holds the current body, else ``build()`` as JSON (a model, or its JSON
    already encoded); both carry the tag."""
    tag = etag(request, version)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    body = build()
    content = body if isinstance(body, bytes) else body.model_dump_json()
    return Response(content, media_type="application/json", headers=headers)
