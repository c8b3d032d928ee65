"""Per-request dependencies: a pooled read-only connection and the authenticated viewer.

Everything a route needs lives on ``app.state`` (settings, database, signing keys,
login limiter), set once per container by :func:`viewer_fn.app.create_app`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, Request

from avcore.settings import ViewerSettings
from avcore.web import Forbidden, Unauthorized, client_address
from viewer_fn.auth import Viewer, authenticate
from viewer_fn.keys import SigningKeys
from viewer_fn.signing import Signer


def _connection(request: Request) -> Iterator[psycopg.Connection]:
    with request.app.state.db.connection() as conn:
        yield conn


Conn = Annotated[psycopg.Connection, Depends(_connection)]


def _viewer(request: Request, conn: Conn) -> Viewer:
    if "authorization" not in request.headers:
        return authenticate(conn, request, signer_of(request))
    # A bearer token is a guess until it works: limited like logins, per client address. (Cookies
    # are signed, so they cannot be guessed; an expired one must not lock its owner out.)
    limiter, client = request.app.state.login_limiter, client_address(request)
    limiter.check(client)
    try:
        return authenticate(conn, request, signer_of(request))
    except (Unauthorized, Forbidden):
        limiter.failed(client)
        raise


CurrentViewer = Annotated[Viewer, Depends(_viewer)]
# For routers whose routes need a viewer but not its identity: one router-level dependency,
# resolved before any query parameter is parsed, so an unauthenticated request gets 401, never 400.
REQUIRE_VIEWER = Depends(_viewer)


def settings_of(request: Request) -> ViewerSettings:
    settings: ViewerSettings = request.app.state.settings
    return settings


def signer_of(request: Request) -> Signer:
    """The signer for this request (its key may have been rotated since the last one)."""
    keys: SigningKeys = request.app.state.keys
    return keys.signer()
