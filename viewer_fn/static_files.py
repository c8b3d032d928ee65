"""The built web viewer (web/ → viewer_fn/site/, made by ``make web``), served by the viewer app.

- ``{base}/`` is ``index.html``, ``Cache-Control: no-cache`` (revalidated by ETag), so a new
  deployment is picked up on the next load. It gets a ``<base href="{base}/">`` so the page's
  relative URLs hold under any path prefix and from the SPA fallback.
- ``{base}/static/<file>`` are Vite's hashed files: ``Cache-Control: public, max-age=31536000,
  immutable`` (a changed file has a new name). Brotli or gzip copies made at build time are sent
  when the browser accepts them (``Vary: Accept-Encoding``); nothing is compressed per request.
- Any other ``GET`` under the base that is not the API (``/api/…``) answers ``index.html``
  (SPA fallback): the page routes by the URL's hash, so a stray path still opens the viewer.

Files are read once per container and kept in memory (the site is about 0.5 MB).
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.convertors import PathConvertor, register_url_convertor

from avcore.web import NotFound, ServiceUnavailable

SITE_PACKAGE_DIR = "site"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# The encodings made at build time (web/scripts/compress.mjs), in order of preference.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
NOT_BUILT = "the web viewer is not built: run `make web` (it builds web/ into viewer_fn/site/)"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str
    variants: dict[str, bytes]  # encoding -> compressed body


def _site() -> Traversable:
    return resources.files("viewer_fn") / SITE_PACKAGE_DIR


def _content_type(name: str) -> str:
    suffix = name[name.rfind(".") :] if "." in name else ""
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@functools.lru_cache(maxsize=256)
def static_asset(name: str) -> Asset | None:
    """A hashed file under static/, or None. Names are one path segment, never ``..``."""
    if not SAFE_NAME.match(name) or name.startswith(".") or name.endswith((".br", ".gz")):
        return None
    folder = _site() / "static"
    entry = folder / name
    if not entry.is_file():
        return None
    body = entry.read_bytes()
    variants = {}
    for encoding, suffix in ENCODINGS:
        compressed = folder / f"{name}{suffix}"
        if compressed.is_file():
            variants[encoding] = compressed.read_bytes()
    return Asset(body, _content_type(name), _etag(body), variants)


@functools.lru_cache(maxsize=8)
def index_page(base: str) -> Asset | None:
    entry = _site() / "index.html"
    if not entry.is_file():
        return None
    html = entry.read_bytes().decode()
    # A <base> makes the page's relative URLs (./static/…, api/v1/…) resolve from the base path,
    # whatever path the SPA fallback answered. Its compressed copies no longer match: drop them.
    html = html.replace("<head>", f'<head>\n    <base href="{base}/" />', 1)
    body = html.encode()
    return Asset(body, CONTENT_TYPES[".html"], _etag(body), {})


def accepted(request: Request) -> set[str]:
    """The content codings the client accepts (RFC 9110 §12.5.3; ``q=0`` refuses one)."""
    found = set()
    for item in request.headers.get("accept-encoding", "").split(","):
        token, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if token and quality > 0:
            found.add(token.lower())
    return found


def respond(request: Request, asset: Asset, cache_control: str) -> Response:
    body, encoding, encodings = asset.body, "", accepted(request)
    for candidate, _suffix in ENCODINGS:
        if candidate in encodings and candidate in asset.variants:
            body, encoding = asset.variants[candidate], candidate
            break
    # A strong tag names one representation (RFC 9110 §8.8.3): each encoding has its own.
    tag = f'{asset.etag[:-1]}-{encoding}"' if encoding else asset.etag
    headers = {"Cache-Control": cache_control, "ETag": tag, "Vary": "Accept-Encoding"}
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if encoding:
        headers["Content-Encoding"] = encoding
    return Response(body, media_type=asset.content_type, headers=headers)


class PagePath(PathConvertor):
    """Any path but the API's and the static files': what the page's fallback may answer."""

    regex = r"(?!api(?:/|$)|static(?:/|$)).*"


register_url_convertor("page", PagePath())


def mount(app: FastAPI, base: str) -> None:
    """Routes for the page; register after the API so ``/api/…`` never falls back to the page.

    Plain Starlette routes (``add_route``: the endpoint takes the request, reads its path
    parameter itself), not FastAPI's: they validate nothing, are in no OpenAPI document, and a
    FastAPI route's build (its parameters' pydantic adapters, and at the first one FastAPI's
    check for pydantic.v1 models, which imports pydantic.v1) would be paid by every cold start.
    """

    def index(request: Request) -> Response:
        page = index_page(base)
        if page is None:
            raise ServiceUnavailable(NOT_BUILT)
        return respond(request, page, REVALIDATE)

    app.add_route(f"{base}/", index, methods=["GET", "HEAD"], include_in_schema=False)
    if base:

        def index_redirect(request: Request) -> Response:
            return Response(status_code=301, headers={"Location": f"{base}/"})

        app.add_route(base, index_redirect, methods=["GET", "HEAD"], include_in_schema=False)

    def static(request: Request) -> Response:
        name: str = request.path_params["name"]
        asset = static_asset(name)
        if asset is None:
            raise NotFound(f"no file {name!r}")
        return respond(request, asset, IMMUTABLE)

    app.add_route(f"{base}/static/{{name}}", static, methods=["GET", "HEAD"], include_in_schema=False)

    def fallback(request: Request) -> Response:
        return index(request)

    # The fallback never matches /api/… or /static/… (the `page` convertor), so an unknown API
    # path is a 404 for every method, not a 405 offering this route's GET (viewer_fn/http.py).
    app.add_route(f"{base}/{{path:page}}", fallback, methods=["GET", "HEAD"], include_in_schema=False)
