"""Compressed API answers: gzip for every ``/api/`` response worth it that the client accepts.

The JSON API is most of what the page downloads (a 200-session list page is ~150 KB of
JSON, ~15 KB gzipped), so every ``{base}/api/…`` answer of at least
:data:`MIN_COMPRESS_BYTES` goes out gzipped when ``Accept-Encoding`` allows it, by
Starlette's :class:`GZipMiddleware`. What it composes with:

* **ETags and 304s.** The viewer's tags are weak (conditional.py): one tag for the identity
  and the gzip body is what a weak validator means, and a 304 has no body to compress.
  ``Vary: Accept-Encoding`` is on every API answer, compressed or not, so no shared cache
  hands a gzip body to a client that did not ask for one.
* **HEAD** (http.py answers it as GET without the body): this middleware sits inside
  ``HeadAsGet``, so a HEAD's ``Content-Length`` and ``Content-Encoding`` are its GET's.
* **The static files** are compressed at build time (Brotli and gzip copies) and served by
  static_files.py with their own ``Content-Encoding``; they are outside ``/api/`` and never
  compressed twice.
* **Lambda.** Mangum sends a gzip body base64-encoded (it is not UTF-8), a third larger.
  Every answer is at most budget.RESPONSE_LIMIT_BYTES (5 MB) before compression, and
  deflate's Huffman stage alone keeps JSON or HTML of any text to at most ~85 % of its size
  (random printable ASCII, the least compressible text, is 6.6 bits a byte), so the base64
  of the gzip body stays under Lambda's 6 MB response limit; tests/viewer/test_compression.py
  checks it with pages of random text at the byte budget.

Level 1, zlib's fastest: the 500-message page (~2 MB of JSON) is the one answer whose p95 is
over its 50 ms budget, and compressing it was most of the difference (at 100,000 messages the
identity answer was 40-60 ms faster than the level-4 one). On that page level 1 makes 7.3x in a
third of level 4's time (8.2x), level 6 8.9x in 2.5 times level 4's (bench/README.md, "The
500-message page"); the page is read over links where ~12 % more bytes cost less than the
milliseconds saved, and a Lambda pays for every millisecond. isal's igzip would be ~10x faster
again at level 1's ratio, but it is a viewer dependency (1.1 MB) that would take ViewerFunction
(24.87 MB with its layer) over its 25 MB budget (docs/deployment.md, "Sizes").
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Below this a response fits one TCP segment anyway; compressing it saves no round trip.
MIN_COMPRESS_BYTES = 1024
GZIP_LEVEL = 1


class CompressApi:
    """gzip for the answers under ``prefix`` (the API); everything else passes untouched."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix
        self.gzip = GZipMiddleware(app, minimum_size=MIN_COMPRESS_BYTES, compresslevel=GZIP_LEVEL)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def varied(message: Message) -> None:
            if message["type"] == "http.response.start":
                _vary_on_encoding(message)
            await send(message)

        await self.gzip(scope, receive, varied)


def _vary_on_encoding(message: Message) -> None:
    """Adds ``Accept-Encoding`` to ``Vary`` unless it is there (GZip adds it only when it compresses)."""
    message.setdefault("headers", [])
    headers = MutableHeaders(scope=message)
    vary = headers.get("vary", "")
    if "accept-encoding" not in vary.lower():
        headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
