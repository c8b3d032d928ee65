"""The command lines of the local stack's two servers (``av-admin local up`` starts them).

- **viewer**: Granian (a Rust HTTP server for ASGI apps) with TLS and HTTP/2 (ALPN ``h2``,
  HTTP/1.1 for clients without it). A browser opening the viewer asks for the page, its code
  files and two or three API answers at once; over HTTP/1.1 that meant three or four TLS
  connections to one Python process, each set up while the page waited, and the TLS records and
  HTTP parsing of every request ran in that process's one event loop, between the API's own
  work. Over HTTP/2 every request shares the page's one connection, and Granian does TLS and
  HTTP in its own threads: the Python process runs only the app (docs/web.md, "Session 6").
- **ingest**: uvicorn, as before: its one client, av-client, speaks HTTP/1.1 (httpx without
  HTTP/2) and sends a few pushes at a time (``AV_PUSH_IN_FLIGHT``) over connections it keeps.

Both run the apps' ``serving_app`` factory (built and settled once, the database settings planned and
checked against the TLS policy before the first request; no connection is made then) with the local CA's certificate, and log warnings only, no access log.
"""

from __future__ import annotations

import sys
from pathlib import Path

VIEWER_APP = "viewer_fn.app:serving_app"
INGEST_APP = "ingest_fn.app:serving_app"
# The server program each runs in this release. `local up` records it beside the process id
# (state.json) and restarts a running server recorded as another kind, or as none (started by a
# release before the record): the viewer moved from uvicorn to Granian, and a stack left running
# across the upgrade kept serving uvicorn until `local down` (docs/settings.md).
KINDS = {"viewer": "granian", "ingest": "uvicorn"}


def viewer_command(port: int, cert: Path, key: Path, *, python: str = sys.executable) -> list[str]:
    """Granian, one worker process (the app keeps per-process state: its pool, the login rate
    limiter), HTTP/2 or HTTP/1.1 as the client offers, TLS 1.2 or later (rustls)."""
    return [
        python,
        "-m",
        KINDS["viewer"],
        "--interface",
        "asgi",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--http",
        "auto",
        "--no-ws",
        "--ssl-certificate",
        str(cert),
        "--ssl-keyfile",
        str(key),
        "--ssl-protocol-min",
        "tls1.2",
        "--log-level",
        "warning",
        "--no-access-log",
        VIEWER_APP,
    ]


def ingest_command(port: int, cert: Path, key: Path, *, python: str = sys.executable) -> list[str]:
    return [
        python,
        "-m",
        KINDS["ingest"],
        INGEST_APP,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ssl-keyfile",
        str(key),
        "--ssl-certfile",
        str(cert),
        "--log-level",
        "warning",
        "--no-access-log",
        # The login/auth failure limit keys on the TCP peer (docs/protocol.md): uvicorn would
        # otherwise take X-Forwarded-For from any local client (it trusts 127.0.0.1 by default).
        "--no-proxy-headers",
    ]


def kind(name: str) -> str:
    """The server program (``granian``, ``uvicorn``) of the local stack's ``viewer`` or ``ingest``."""
    if name not in KINDS:
        raise ValueError(f"no local server named {name!r} (viewer, ingest)")
    return KINDS[name]


def command(name: str, port: int, cert: Path, key: Path) -> list[str]:
    """The command line of the local stack's ``viewer`` or ``ingest`` server."""
    if name == "viewer":
        return viewer_command(port, cert, key)
    if name == "ingest":
        return ingest_command(port, cert, key)
    raise ValueError(f"no local server named {name!r} (viewer, ingest)")
