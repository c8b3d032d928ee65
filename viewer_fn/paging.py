"""One cursor scheme for every list route (datasette's ``next`` / ``next_url``).

A page answers ``{"ok": true, "rows": [...], "next": <token|null>, "next_url": <url|null>}``.
``next`` is opaque: an HMAC-signed token holding the position where the next page
starts (a keyset, an ordinal or an offset: each route decides), bound to the path
and to every query parameter but ``cursor`` and ``limit``. Sent back as
``cursor`` with the same parameters, it continues the walk; an altered token, or
one sent with other filters or to another path, is a 400. ``limit`` may change
between pages. ``next_url`` is the request's own URL with ``cursor`` set to
``next``.

Routes fetch ``limit + 1`` rows where they can, so ``next`` is null exactly on
the last page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from avcore.web import BadRequest
from viewer_fn.deps import signer_of
from viewer_fn.params import Cursor
from viewer_fn.session_paths import own_url
from viewer_fn.signing import BadSignature, Signer

PURPOSE = "page"
UNBOUND = ("cursor", "limit")  # what a client may change between pages
INVALID = "cursor: invalid (send the `next` of the previous page, with the same path and parameters)"


def binding(request: Request) -> str:
    items = sorted((k, v) for k, v in request.query_params.multi_items() if k not in UNBOUND)
    return hashlib.sha256(repr((request.url.path, items)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Pager:
    """The cursor of this request, decoded, and the way to make the next one."""

    request: Request
    signer: Signer
    position: Any  # None on the first page

    def next(self, position: Any) -> tuple[str, str]:
        """The ``next`` token and ``next_url`` of a page whose successor starts at ``position``."""
        token = self.signer.sign(PURPOSE, {"b": binding(self.request), "p": position})
        return token, str(own_url(self.request).include_query_params(cursor=token))

    def links(self, position: Any | None) -> dict[str, str | None]:
        """``next`` and ``next_url`` for a page: both null when there is no next page."""
        if position is None:
            return {"next": None, "next_url": None}
        token, url = self.next(position)
        return {"next": token, "next_url": url}


def pager(request: Request, cursor: Cursor = None) -> Pager:
    signer = signer_of(request)
    if not cursor:
        return Pager(request, signer, None)
    try:
        data = signer.unsign(PURPOSE, cursor)
        if data.get("b") != binding(request) or "p" not in data:
            raise ValueError("made for another path or other parameters")
    except (BadSignature, ValueError):
        raise BadRequest(INVALID) from None
    return Pager(request, signer, data["p"])


PagerDep = Annotated[Pager, Depends(pager)]


def position_error() -> BadRequest:
    """A signed position of the wrong shape: only a code change between pages can cause it."""
    return BadRequest(INVALID)
