"""What both FastAPI apps share: typed errors, one error body, headers, JSON logs.

Routes raise :class:`ApiError` subclasses; exactly one handler turns them (and
FastAPI's validation errors, and anything unexpected) into the canonical body
``{"ok": false, "error": "...", "errors": [...], "status": N}``. Security headers
are set in one middleware. Logs are one JSON object per line with the request id,
and never carry tokens or session content.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from avcore.db.pool import DatabaseMisconfigured, DatabaseUnavailable, is_connection_lost
from avcore.logs import lambda_request_id_var, request_id_var
from avcore.metrics import emit
from avcore.schema import SchemaMismatch
from avcore.secrets import SecretError, SecretUnusable
from avcore.settings import SettingsError

log = logging.getLogger("av")


class ApiError(Exception):
    """An error with an HTTP status; ``message`` is safe to show to the caller."""

    status = 400
    title = "Bad Request"

    def __init__(
        self,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}


class BadRequest(ApiError):
    status, title = 400, "Bad Request"


class Unauthorized(ApiError):
    status, title = 401, "Unauthorized"


class Forbidden(ApiError):
    status, title = 403, "Forbidden"


class NotFound(ApiError):
    status, title = 404, "Not Found"


class MethodNotAllowed(ApiError):
    status, title = 405, "Method Not Allowed"


class Conflict(ApiError):
    status, title = 409, "Conflict"


class PayloadTooLarge(ApiError):
    status, title = 413, "Payload Too Large"


class UnsupportedMediaType(ApiError):
    status, title = 415, "Unsupported Media Type"


class TooManyRequests(ApiError):
    status, title = 429, "Too Many Requests"


class ServiceUnavailable(ApiError):
    status, title = 503, "Service Unavailable"


INTERNAL_ERROR = "internal error; the request id is in the X-Request-Id header"

MAX_FORWARDED_HOPS = 32  # an X-Forwarded-For longer than this is read from its last hops only


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_key(value: str) -> str:
    """A bounded rate-limit key for an address: the address itself, an IPv6 address's /64 (one
    host usually holds a whole /64, so per-address keys would let it rotate), anything else cut."""
    address = _ip(value)
    if address is None:
        return value[:64] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def trusted_proxies(request: Request) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    app = request.scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    return tuple(getattr(settings, "trusted_proxy_networks", ()))


def client_address(request: Request) -> str:
    """Who is calling, for rate limits: an address a client cannot choose, as a bounded key.

    Under API Gateway, Mangum fills the peer from the gateway's ``sourceIp``, and nothing else is
    read. Served by the local stack (uvicorn for ingest, Granian for the viewer), the peer is the
    caller unless it is one of the configured trusted proxies (``AV_TRUSTED_PROXIES``); then ``X-Forwarded-For`` is read from the right, past every
    trusted proxy, and the first other hop is the caller (a proxy appends the address it saw, so
    only hops added by trusted proxies can be believed; what the client wrote sits further left).
    Nothing is trusted by default: a header a client writes never picks its own rate-limit key.
    """
    peer = request.client.host if request.client else ""
    trusted = trusted_proxies(request)
    if "aws.event" in request.scope or not trusted:
        return address_key(peer)
    hop = _ip(peer)
    if hop is None or not any(hop in net for net in trusted):
        return address_key(peer)
    forwarded = request.headers.get("x-forwarded-for", "").rsplit(",", MAX_FORWARDED_HOPS)
    for value in reversed(forwarded):
        address = _ip(value)
        if address is None:
            break  # garbage: the last hop we could believe is the caller
        if not any(address in net for net in trusted):
            return address_key(str(address))
        hop = address
    return address_key(str(hop))


def error_body(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"ok": False, "status": status, "error": message, "errors": errors or []}


def json_response(
    body: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    media_type: str = "application/json",
) -> Response:
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=media_type)


def error_response(
    status: int,
    message: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return json_response(
        error_body(status, message, errors),
        status=status,
        headers=headers,
        media_type="application/problem+json",
    )


def _quoted_choices(expected: str) -> str:
    """pydantic's ``'a', 'b' or 'c'`` as ``a, b, c``."""
    return ", ".join(re.findall(r"'([^']*)'", expected)) or expected


def _validation_message(err: Any) -> str:
    """One parameter's problem in the house style: what was wrong and what is allowed."""
    kind, ctx, value = err.get("type"), err.get("ctx") or {}, err.get("input")
    shown = repr(value) if isinstance(value, str) else value
    worded = {
        "missing": "required",
        "greater_than_equal": f"must be at least {ctx.get('ge')} (got {shown})",
        "less_than_equal": f"must be at most {ctx.get('le')} (got {shown})",
        "greater_than": f"must be more than {ctx.get('gt')} (got {shown})",
        "less_than": f"must be less than {ctx.get('lt')} (got {shown})",
        "int_parsing": f"{shown} is not an integer",
        "bool_parsing": f"{shown} is not a boolean; use true or false",
        "literal_error": f"{shown} is not allowed; use one of {_quoted_choices(str(ctx.get('expected', '')))}",
        "string_too_long": f"at most {ctx.get('max_length')} characters",
        "string_too_short": f"at least {ctx.get('min_length')} characters",
    }
    return worded.get(kind) or str(err.get("msg", "invalid"))


def _validation_errors(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    """Each problem names its field first (``limit: must be at most 500 (got 900)``)."""
    errors = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header"))
        errors.append({"field": loc or "body", "message": _validation_message(err)})
    return "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]), errors


def install_error_handling(app: FastAPI, *, component: str) -> None:
    """The one place where exceptions become HTTP responses."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.message, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        message, errors = _validation_errors(exc)
        return error_response(400, message, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = {
            404: f"no route {request.url.path!r}",
            405: f"{request.method} is not allowed on {request.url.path!r}",
        }.get(exc.status_code, str(exc.detail))
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(SchemaMismatch)
    async def _schema(request: Request, exc: SchemaMismatch) -> Response:
        log.error("schema mismatch", extra={"detail": str(exc)})
        return error_response(503, str(exc))

    @app.exception_handler(DatabaseMisconfigured)
    async def _db_misconfigured(request: Request, exc: DatabaseMisconfigured) -> Response:
        # Found by the first request that needs the database (not at the cold start, which no
        # longer reads the DSN): named in every answer until an operator fixes it.
        # No Retry-After: an operator must fix it, so a client's own backoff (about 45 s) is long
        # enough; a 60 s floor on each of its eight attempts kept a push waiting ~7 minutes.
        log.error("database settings unusable", extra={"setting": exc.setting, "detail": str(exc)})
        return error_response(503, exc.public)

    @app.exception_handler(DatabaseUnavailable)
    async def _db_down(request: Request, exc: DatabaseUnavailable) -> Response:
        log.error("database unavailable", extra={"detail": str(exc)})
        return error_response(
            503, "the database is unavailable; try again shortly", headers={"Retry-After": "5"}
        )

    @app.exception_handler(SecretUnusable)
    async def _secret_unusable(request: Request, exc: SecretUnusable) -> Response:
        # Read by the first request that needs it (not at the cold start): named in every answer
        # until an operator fixes it; no Retry-After, as for the database settings (above).
        log.error("a secret is unusable", extra={"setting": exc.setting, "detail": str(exc)})
        return error_response(503, exc.public)

    @app.exception_handler(SecretError)
    @app.exception_handler(SettingsError)
    async def _secret_unreadable(request: Request, exc: Exception) -> Response:
        # Secrets are read again at run time (rotation); Secrets Manager may be briefly unreachable.
        log.error("a secret could not be read", extra={"detail": str(exc)})
        return error_response(
            503,
            "the service's credentials could not be read; try again shortly",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Only for what fails outside the request middleware (which answers everything inside it).
        log.exception("unhandled error", extra={"component": component})
        return error_response(500, INTERNAL_ERROR)


SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    ),
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def nul_parameter(query: str) -> str | None:
    """The name of the first query parameter whose name or value holds NUL (``%00``), else None."""
    if "%00" not in query and "\x00" not in query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "\\x00")
    return None


# The first request a process serves is the one that paid for its start (``cold_start`` in its log line).
_cold_start: dict[str, bool] = {}


# Refusals worth a metric (avcore.metrics RejectedRequests): bad input, credentials, size, rate.
COUNTED_REFUSALS = frozenset({400, 401, 403, 409, 413, 415, 429})


def _failure_response(exc: Exception, *, component: str, request_id: str) -> Response:
    """The answer to an exception no handler took: a lost connection is worth a retry, the rest is a bug."""
    if is_connection_lost(exc):
        # psycopg's OperationalError, matched here rather than by an exception handler, which
        # would need psycopg imported at the cold start. The pool has dropped the broken
        # connection; a retry gets a fresh one.
        log.error("database connection lost", extra={"error": type(exc).__name__, "request_id": request_id})
        return error_response(
            503, "the database connection was lost; retry the request", headers={"Retry-After": "2"}
        )
    log.error("unhandled error", exc_info=exc, extra={"component": component, "request_id": request_id})
    return error_response(500, INTERNAL_ERROR)


def install_request_middleware(app: FastAPI, *, component: str, count_refusals: bool = False) -> None:
    """Request id, security headers and one access-log line per request (plus a refusal metric)."""

    _cold_start[component] = True

    @app.middleware("http")
    async def _per_request(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        if len(rid) > 64 or not rid.replace("-", "").isalnum():
            rid = uuid.uuid4().hex
        token = request_id_var.set(rid)
        context = request.scope.get("aws.context")  # Mangum's: the Lambda invocation
        invocation = lambda_request_id_var.set(getattr(context, "aws_request_id", None))
        started = time.perf_counter()
        try:
            nul = nul_parameter(request.url.query)
            if nul is not None:  # PostgreSQL text cannot hold NUL: refused here for every route at once
                message = f"{nul}: must not contain NUL (U+0000)"
                response = error_response(400, message, [{"field": nul, "message": "must not contain NUL"}])
            else:
                try:
                    response = await call_next(request)
                except Exception as exc:
                    # Answered here rather than by the server's last-resort handler, which sits
                    # outside every middleware: the answer carries the request id (which the 500
                    # names), the security headers and (viewer) CORS.
                    response = _failure_response(exc, component=component, request_id=rid)
            response.headers["X-Request-Id"] = rid
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            log.info(
                "request",
                extra={
                    "component": component,
                    "request_id": rid,  # on the record itself, whenever and wherever it is formatted
                    "method": request.method,
                    "path": request.url.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "cold_start": _cold_start.pop(component, False),
                },
            )
            if count_refusals and response.status_code in COUNTED_REFUSALS:
                emit(
                    {"RejectedRequests": 1},
                    dimensions={"Status": str(response.status_code)},
                    message="refused",
                )
        finally:  # after the request's own log lines, which carry its ids
            request_id_var.reset(token)
            lambda_request_id_var.reset(invocation)
        return response
