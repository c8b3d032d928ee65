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
from viewer_fn.auth import Viewer, authenticate
from viewer_fn.keys import SigningKeys
from viewer_fn.signing import Signer


def _connection(request: Request) -> Iterator[psycopg.Connection]:
    with request.app.state.db.connection() as conn:
        yield conn


Conn = Annotated[psycopg.Connection, Depends(_connection)]


def _viewer(request: Request, conn: Conn) -> Viewer:
    return authenticate(conn, request, signer_of(request))


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
