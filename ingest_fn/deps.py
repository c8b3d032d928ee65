"""Per-request dependencies: a pooled connection, the authenticated device, the body.

Everything a route needs lives on ``app.state`` (settings, database), set once per
container by :func:`ingest_fn.app.create_app`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

import psycopg
from fastapi import Depends, Request
from fastapi.responses import Response

from avcore.settings import IngestSettings
from avcore.web import Forbidden, Unauthorized, client_address, json_response
from ingest_fn.auth import DeviceIdentity, authenticate_device, bearer_token
from ingest_fn.body import checked_json, read_json_body
from ingest_fn.limits import count_request, record_failure, refuse_if_blocked


def _connection(request: Request) -> Iterator[psycopg.Connection]:
    with request.app.state.db.connection() as conn:
        yield conn


Conn = Annotated[psycopg.Connection, Depends(_connection)]


def settings_of(request: Request) -> IngestSettings:
    settings: IngestSettings = request.app.state.settings
    return settings


def _device(request: Request, conn: Conn) -> DeviceIdentity:
    # Authenticate before touching the body: strangers never make us decompress or parse.
    settings = settings_of(request)
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


async def read_body(request: Request, parse: Callable[[bytes], Any] = checked_json) -> Any:
    """The request body, within the size caps, gunzipped if need be, then ``parse``d."""
    settings = settings_of(request)
    return await read_json_body(
        request,
        max_bytes=settings.max_body_bytes,
        max_decompressed=settings.max_decompressed_bytes,
        parse=parse,
    )


def recorded_answer(answer: dict[str, Any], replayed: bool) -> Response:
    """An idempotent request's answer; a replay says so (``Idempotent-Replay: true``)."""
    return json_response(answer, headers={"Idempotent-Replay": "true"} if replayed else None)
