"""Login, logout and "who am I". Login failures are rate-limited per client (ratelimit.py)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import Field, ValidationError

from avcore.routes import RouteTable
from avcore.web import ApiError, BadRequest, PayloadTooLarge, UnsupportedMediaType, client_address
from viewer_fn.auth import COOKIE_NAME, check_token, login_cookie
from viewer_fn.deps import CurrentViewer, settings_of, signer_of
from viewer_fn.models_base import ApiModel, ErrorBody, Ok
from viewer_fn.models_meta import Me

router = RouteTable(tags=["auth"])


class Login(ApiModel):
    token: str = Field(min_length=1, max_length=512, description="a viewer token from `av-admin viewer add`")


# A login body is {"token": "<at most 512 characters>"}: 4 KB is generous, and reading stops there
# (a 300 MB body used to be read whole, taking the function from 80 to 661 MB).
LOGIN_MAX_BODY = 4096


async def login_body(request: Request) -> Login:
    """The login body: JSON only, at most LOGIN_MAX_BODY bytes, read no further than that."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType(f"send the login as application/json, not {media or 'no content type'}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > LOGIN_MAX_BODY:
        raise PayloadTooLarge(f"a login body is at most {LOGIN_MAX_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > LOGIN_MAX_BODY:
            raise PayloadTooLarge(f"a login body is at most {LOGIN_MAX_BODY} bytes")
    try:
        data = orjson.loads(body)  # orjson refuses nesting deeper than 1,024: no recursion blow-up
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from None
    try:
        return Login.model_validate(data)
    except ValidationError as exc:
        where = ", ".join(".".join(map(str, e["loc"])) or "body" for e in exc.errors())
        raise BadRequest(f'the body must be {{"token": "<viewer token>"}} (problem at: {where})') from None


LoginBody = Annotated[Login, Depends(login_body)]


@router.post(
    "/auth/login",
    response_model=Me,
    responses={
        400: {"model": ErrorBody, "description": 'the body is not {"token": "..."}'},
        401: {"model": ErrorBody, "description": "invalid or revoked token"},
        403: {"model": ErrorBody, "description": "a device token"},
        413: {"model": ErrorBody, "description": f"a body over {LOGIN_MAX_BODY} bytes"},
        415: {"model": ErrorBody, "description": "a body that is not application/json"},
        429: {"model": ErrorBody, "description": "too many failed logins from this address; see Retry-After"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": Login.model_json_schema()}},
        }
    },
)
def login(body: LoginBody, request: Request) -> Response:
    """Check a viewer token and set the ``av_session`` cookie (HttpOnly, Secure, SameSite=Strict)."""
    limiter, client = request.app.state.login_limiter, client_address(request)
    limiter.check(client)
    settings = settings_of(request)
    try:
        with request.app.state.db.connection() as conn:
            who = check_token(conn, body.token.strip())
    except ApiError as exc:
        if exc.status in (401, 403):
            limiter.failed(client)
        raise
    limiter.succeeded(client)
    response = Response(Me(name=who.name).model_dump_json(), media_type="application/json")
    response.set_cookie(
        COOKIE_NAME,
        login_cookie(signer_of(request), who, settings.session_ttl_s),
        max_age=settings.session_ttl_s,
        path=f"{settings.base_path}/",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/auth/logout", response_model=Ok)
def logout(request: Request) -> Response:
    response = Response(Ok().model_dump_json(), media_type="application/json")
    response.delete_cookie(
        COOKIE_NAME, path=f"{settings_of(request).base_path}/", secure=True, httponly=True, samesite="strict"
    )
    return response


@router.get("/auth/me", responses={401: {"model": ErrorBody, "description": "not logged in"}})
def me(who: CurrentViewer) -> Me:
    return Me(name=who.name)
