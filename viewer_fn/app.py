"""The viewer: read-only JSON API under /api/v1 and the static web page.

It connects as the reader role with read-only transactions and a statement
timeout, so it cannot write even if its code tried, and no query runs away.
Every /api route needs a viewer credential (deps.py). Routes live in one module
per concept (routes_*.py); this module only wires them, once per container.
"""

from __future__ import annotations

from fastapi import FastAPI, params

from avcore.db.connect import database_for
from avcore.lazy_routes import install_lazily, table_of
from avcore.runtime import built_and_settled
from avcore.settings import ViewerSettings, load
from avcore.web import install_error_handling, install_request_middleware
from avprotocol import __version__
from viewer_fn import compression, cors, http, openapi, static_files
from viewer_fn.keys import SigningKeys
from viewer_fn.ratelimit import LoginLimiter

# The route groups under /api/v1, in the order they are tried, with the beginnings of their
# paths: what decides, without importing a group, whether a request may need it
# (tests/avcore/test_lazy_routes.py checks that they cover every route of the group).
AUTH_PATHS = ("/auth/",)
VIEWER_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("viewer_fn.routes_messages", ("/sessions/",)),
    ("viewer_fn.routes_sessions", ("/sessions",)),
    ("viewer_fn.routes_search", ("/search",)),
    ("viewer_fn.routes_analytics", ("/analytics/",)),
    (
        "viewer_fn.routes_meta",
        ("/projects", "/machines", "/agents", "/stats", "/version", "/sync/", "/changes"),
    ),
)


def viewer_credential() -> list[params.Depends]:
    """The dependency every route but the login's has, read when its group is built: its module
    (``viewer_fn.deps``, with the connection it takes) imports psycopg, which the cold start does not."""
    from viewer_fn.deps import REQUIRE_VIEWER

    return [REQUIRE_VIEWER]


def create_app(settings: ViewerSettings | None = None) -> FastAPI:
    settings = settings or load(ViewerSettings)
    db = database_for(
        settings,
        component="viewer_fn",
        application_name="av-viewer",
        server_settings={
            "default_transaction_read_only": "on",
            "statement_timeout": str(settings.db_statement_timeout_ms),
        },
    )
    base = settings.base_path
    app = FastAPI(
        title="av-cloud viewer",
        version=__version__,  # the release (avprotocol), as routes_meta.VIEWER_VERSION
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{base}/api/v1/openapi.json",
        generate_unique_id_function=openapi.operation_id,
    )
    openapi.install(app)
    app.state.db = db
    app.state.settings = settings
    # With AV_SESSION_SECRET_ARN the key is read by the first API request (every API route's
    # authentication asks for the signer; boto3's import and client, ~150-260 ms on this
    # machine): the page and the cold start do not pay it. An unusable key is a 503 naming the
    # setting then (viewer_fn/keys.py).
    app.state.keys = SigningKeys(settings)
    app.state.login_limiter = LoginLimiter()
    install_error_handling(app, component="viewer_fn")
    # Innermost first: gzip runs inside HeadAsGet, so a HEAD reports its GET's encoding and length.
    app.add_middleware(compression.CompressApi, prefix=f"{base}/api/")
    app.add_middleware(http.HeadAsGet)  # inside the request middleware, which logs HEAD as HEAD
    install_request_middleware(app, component="viewer_fn")
    # Outermost: a preflight is answered before routing, and every answer (errors too) carries CORS.
    cors.install(app, settings.cors_origins)

    # Each route group is built, its module imported, on the first request that could use it
    # (avcore.lazy_routes): a cold start pays for the page and the routes it serves, not all 54.
    api = f"{base}/api/v1"
    install_lazily(app, table_of("viewer_fn.routes_auth"), starts=AUTH_PATHS, prefix=api)
    # Every other route needs a viewer credential: one dependency, given to each as it is built.
    # routes_messages before routes_sessions: a session id may hold "/" (``{sid:path}``), so
    # /sessions/{sid} must be tried after /sessions/{sid}/messages and the like.
    for module, starts in VIEWER_GROUPS:
        install_lazily(
            app,
            table_of(module),
            starts=starts,
            prefix=api,
            dependencies=viewer_credential,
            responses=openapi.ERRORS,
        )

    # agentsview's write routes answer 405 (with a true Allow); any other unknown path is a 404.
    install_lazily(app, http.write_routes, starts=http.write_route_starts(), prefix=api)

    static_files.mount(app, base)  # after the API: its fallback must not shadow /api
    return app


def serving_app() -> FastAPI:
    """The app for a long-running server (the local stack's Granian server): built, then settled
    (avcore.runtime). Its database settings are planned now (read and checked against the TLS
    policy, no connection made) and its cookie key read: a server that runs for hours pays
    nothing for it, and one whose settings are unusable should not start. Whether the database
    answers is each request's business, as on Lambda."""
    app = built_and_settled(create_app)
    app.state.db.check_settings()
    app.state.keys.signer()
    return app
