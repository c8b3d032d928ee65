"""The viewer's API answers are gzipped when the client accepts it (viewer_fn/compression.py),
without breaking ETags, 304s, HEAD or the build-time compressed static files."""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

from tests.apps import make_session
from viewer_fn.compression import MIN_COMPRESS_BYTES
from viewer_fn.static_files import static_asset

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


def _auth(apps, extra: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {apps.viewer_token}", **extra}


def _raw(apps, path: str, headers: dict[str, str], **params: Any) -> tuple[Any, bytes]:
    """The answer and its bytes as sent (httpx would otherwise decode gzip for us)."""
    with apps.viewer.stream("GET", path, params=params, headers=headers) as r:
        return r, b"".join(r.iter_raw())


def _vary(r) -> list[str]:
    return [v.strip().lower() for v in r.headers.get("vary", "").split(",")]


def test_a_list_page_is_gzipped_when_accepted_and_plain_otherwise(apps) -> None:
    assert apps.push(*(make_session(f"s{i:03d}", messages=4) for i in range(60))).status_code == 200
    path = "/api/v1/sessions"
    plain, plain_bytes = _raw(apps, path, _auth(apps, IDENTITY), limit=200)
    zipped, zipped_bytes = _raw(apps, path, _auth(apps, GZIP), limit=200)

    assert plain.status_code == zipped.status_code == 200
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in _vary(plain) and "accept-encoding" in _vary(zipped)
    assert int(zipped.headers["content-length"]) == len(zipped_bytes)
    assert gzip.decompress(zipped_bytes) == plain_bytes
    assert len(json.loads(plain_bytes)["rows"]) == 60
    assert len(zipped_bytes) * 4 < len(plain_bytes)  # a list page is very repetitive JSON


def test_small_answers_304s_and_head_compose_with_gzip(apps) -> None:
    assert apps.push(make_session("one", messages=40)).status_code == 200
    me, me_bytes = _raw(apps, "/api/v1/auth/me", _auth(apps, GZIP))
    assert len(me_bytes) < MIN_COMPRESS_BYTES
    assert "content-encoding" not in me.headers and "accept-encoding" in _vary(me)

    path = "/api/v1/sessions/laptop:one/messages"
    zipped, _ = _raw(apps, path, _auth(apps, GZIP))
    plain, _ = _raw(apps, path, _auth(apps, IDENTITY))
    assert zipped.headers["content-encoding"] == "gzip"
    # One weak tag for both bodies: the same content, whatever its coding.
    assert zipped.headers["etag"] == plain.headers["etag"] and zipped.headers["etag"].startswith("W/")
    again, again_bytes = _raw(apps, path, _auth(apps, {**GZIP, "If-None-Match": zipped.headers["etag"]}))
    assert again.status_code == 304 and again_bytes == b""
    assert "content-encoding" not in again.headers and "accept-encoding" in _vary(again)

    head = apps.viewer.head(path, headers=_auth(apps, GZIP))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-encoding"] == "gzip"
    assert head.headers["content-length"] == zipped.headers["content-length"]


def test_errors_are_compressed_like_any_answer(apps) -> None:
    r = apps.viewer.get("/api/v1/sessions/laptop:nope", headers=_auth(apps, GZIP))
    assert r.status_code == 404 and r.json()["ok"] is False  # small: plain, and still readable
    assert "accept-encoding" in _vary(r)


def test_static_files_are_never_compressed_twice_and_tag_each_encoding(apps) -> None:
    index = apps.viewer.get("/", headers=GZIP)
    assert "content-encoding" not in index.headers  # outside /api: the middleware leaves it alone
    name = re.findall(r'src="\./static/([^"]+\.js)"', index.text)[0]
    asset = static_asset(name)
    assert asset is not None and "gzip" in asset.variants
    zipped, zipped_bytes = _raw(apps, f"/static/{name}", GZIP)
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped_bytes == asset.variants["gzip"]  # the build's copy, as it is
    plain, plain_bytes = _raw(apps, f"/static/{name}", IDENTITY)
    assert plain_bytes == asset.body
    # A strong tag per representation, and each revalidates only itself.
    assert zipped.headers["etag"] != plain.headers["etag"]
    same = apps.viewer.get(f"/static/{name}", headers={**GZIP, "If-None-Match": zipped.headers["etag"]})
    assert same.status_code == 304
    other = apps.viewer.get(f"/static/{name}", headers={**IDENTITY, "If-None-Match": zipped.headers["etag"]})
    assert other.status_code == 200 and other.content == asset.body
