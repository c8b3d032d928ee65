"""Login, logout and "who am I". Login failures are rate-limited per client (ratelimit.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from avcore.web import ApiError, BadRequest, client_address, json_response
from viewer_fn.auth import COOKIE_NAME, check_token, login_cookie
from viewer_fn.deps import CurrentViewer, settings_of, signer_of

router = APIRouter()


@router.post("/auth/login")
async def login(request: Request) -> Response:
    limiter, client = request.app.state.login_limiter, client_address(request)
    limiter.check(client)
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest('send JSON: {"token": "<viewer token>"}') from None
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise BadRequest("token: required (a viewer token from `av-admin viewer add`)")
    settings = settings_of(request)
    try:
        with request.app.state.db.connection() as conn:
            who = check_token(conn, token.strip())
    except ApiError as exc:
        if exc.status in (401, 403):
            limiter.failed(client)
        raise
    limiter.succeeded(client)
    response = json_response({"ok": True, "name": who.name})
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


@router.post("/auth/logout")
def logout(request: Request) -> Response:
    response = json_response({"ok": True})
    response.delete_cookie(
        COOKIE_NAME, path=f"{settings_of(request).base_path}/", secure=True, httponly=True, samesite="strict"
    )
    return response


@router.get("/auth/me")
def me(who: CurrentViewer) -> dict[str, Any]:
    return {"ok": True, "name": who.name}
