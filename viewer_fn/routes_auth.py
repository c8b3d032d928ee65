"""Login, logout and "who am I". Login failures are rate-limited per client (ratelimit.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from avcore.web import ApiError, client_address
from viewer_fn.auth import COOKIE_NAME, check_token, login_cookie
from viewer_fn.deps import CurrentViewer, settings_of, signer_of
from viewer_fn.models import ApiModel, ErrorBody, Ok
from viewer_fn.models_meta import Me

router = APIRouter(tags=["auth"])


class Login(ApiModel):
    token: str = Field(min_length=1, max_length=512, description="a viewer token from `av-admin viewer add`")


@router.post(
    "/auth/login",
    response_model=Me,
    responses={
        400: {"model": ErrorBody, "description": 'the body is not {"token": "..."}'},
        401: {"model": ErrorBody, "description": "invalid or revoked token"},
        403: {"model": ErrorBody, "description": "a device token"},
        429: {"model": ErrorBody, "description": "too many failed logins from this address; see Retry-After"},
    },
)
def login(body: Login, request: Request) -> Response:
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
