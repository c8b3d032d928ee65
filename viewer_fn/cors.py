"""The page hosted apart from the API: CORS for an allow-list of page origins, with the cookie.

Served by viewer_fn, the page and the API share an origin and nothing here applies. Hosted
apart (the built ``viewer_fn/site/`` on S3 + CloudFront, nginx, any static host), the page calls
the API from another origin with ``credentials: "include"``. The API then answers CORS for
exactly the origins in ``AV_CORS_ORIGINS`` (never ``*``: a browser sends no cookie to a
wildcard), with ``Access-Control-Allow-Credentials: true`` and ``Vary: Origin``; any other
origin gets no CORS headers, so its scripts cannot read an answer, and its preflights are
refused. Only what the page uses is allowed: GET, HEAD and POST (login, logout), and the one
request header a preflight asks about, ``Content-Type`` (the login's JSON body).

The login cookie stays ``SameSite=Strict`` (routes_auth.py): a browser sends it only when the
page and the API are the **same site** -- the same scheme and registrable domain, such as
``https://viewer.example.com`` and ``https://api.example.com``. A page on another site (say
``d123.cloudfront.net`` with the API on ``*.execute-api.*.amazonaws.com``, two different sites
by the Public Suffix List) cannot keep a login, whatever CORS allows, and loosening the cookie to
``SameSite=None`` would hand every other site's requests the login (and browsers are phasing
such third-party cookies out). docs/web.md says how to host it; the page names the problem when
a login does not stick.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

ALLOWED_METHODS = ("GET", "HEAD", "POST")
ALLOWED_HEADERS = ("Content-Type",)
EXPOSED_HEADERS = ("Retry-After",)  # the login's rate limit says when to try again
PREFLIGHT_MAX_AGE_S = 600


def install(app: FastAPI, origins: tuple[str, ...]) -> None:
    """CORS for ``origins`` (nothing at all when there are none: the same-origin default)."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_credentials=True,
        allow_methods=list(ALLOWED_METHODS),
        allow_headers=list(ALLOWED_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        max_age=PREFLIGHT_MAX_AGE_S,
    )
