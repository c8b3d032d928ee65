"""Viewer access: a bearer token for scripts, or a login cookie for the browser.

Both resolve to a row of ``viewer_credentials``; a revoked credential stops
working on the next request, cookie or not, because the cookie only names the
credential (signed) and the row is checked every time. Device tokens are refused.
The viewer cannot write, so the cookie is stateless (HMAC-signed, with expiry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from avcore.tokens import DEVICE_PREFIX, VIEWER_PREFIX, token_hash, well_formed
from avcore.web import Forbidden, Unauthorized
from viewer_fn.signing import BadSignature, Signer

COOKIE_NAME = "av_session"
COOKIE_PURPOSE = "login"
CREDENTIAL_BY_HASH_SQL = (
    "SELECT id, name, revoked_at IS NOT NULL FROM viewer_credentials WHERE token_hash = %s"
)
CREDENTIAL_BY_ID_SQL = "SELECT id, name, revoked_at IS NOT NULL FROM viewer_credentials WHERE id = %s"
if TYPE_CHECKING:
    import psycopg

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="av-cloud viewer"'}


@dataclass(frozen=True)
class Viewer:
    credential_id: int
    name: str


def check_token(conn: psycopg.Connection, token: str) -> Viewer:
    if token.startswith(DEVICE_PREFIX):
        raise Forbidden("device tokens cannot read the viewer API; use a viewer credential")
    if not well_formed(token, VIEWER_PREFIX):
        raise Unauthorized("invalid viewer token", headers=CHALLENGE)
    row = conn.execute(CREDENTIAL_BY_HASH_SQL, (token_hash(token),)).fetchone()
    if row is None or row[2]:
        raise Unauthorized("invalid or revoked viewer token", headers=CHALLENGE)
    return Viewer(row[0], row[1])


def authenticate(conn: psycopg.Connection, request: Request, signer: Signer) -> Viewer:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "malformed Authorization header; expected 'Bearer <viewer token>'", headers=CHALLENGE
            )
        return check_token(conn, token.strip())
    cookie = request.cookies.get(COOKIE_NAME)
    if not cookie:
        raise Unauthorized("log in first, or send 'Authorization: Bearer <viewer token>'", headers=CHALLENGE)
    try:
        data = signer.unsign(COOKIE_PURPOSE, cookie)
    except BadSignature:
        raise Unauthorized("your login has expired or is invalid; log in again", headers=CHALLENGE) from None
    row = conn.execute(CREDENTIAL_BY_ID_SQL, (int(data.get("c", 0)),)).fetchone()
    if row is None or row[2]:
        raise Unauthorized("this login's credential has been revoked", headers=CHALLENGE)
    return Viewer(row[0], row[1])


def login_cookie(signer: Signer, viewer: Viewer, ttl_s: int) -> str:
    return signer.sign(COOKIE_PURPOSE, {"c": viewer.credential_id}, ttl_s=ttl_s)
