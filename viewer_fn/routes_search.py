"""``GET /api/v1/search``: ranked full-text, phrase, prefix and substring search
across every session, with filters, marked snippets and signed offset paging.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request

from avcore.web import BadRequest
from viewer_fn import params as p
from viewer_fn.deps import Conn, CurrentViewer, signer_of
from viewer_fn.filters import SessionFilter, any_session_where
from viewer_fn.queries_search import SEARCH_WINDOW, SNIPPET_CHARS, search
from viewer_fn.search_query import compile_query
from viewer_fn.signing import BadSignature
from viewer_fn.snippets import mark

DEFAULT_SEARCH_PAGE = 50
MAX_SEARCH_PAGE = 500
CURSOR_PURPOSE = "search-cursor"

router = APIRouter()


def _fingerprint(request: Request) -> str:
    items = sorted((k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "limit"))
    return hashlib.sha256(repr(items).encode()).hexdigest()[:16]


@router.get("/search")
def global_search(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    q = request.query_params
    mode = p.choice("mode", q.get("mode"), ("words", "substring"), "words")
    sort = p.choice("sort", q.get("sort"), ("rank", "recent"), "rank" if mode == "words" else "recent")
    limit = p.integer("limit", q.get("limit"), default=DEFAULT_SEARCH_PAGE, lo=1, hi=MAX_SEARCH_PAGE)
    assert limit is not None
    f = SessionFilter(
        project=p.csv("project", q.get("project")),
        machine=p.csv("machine", q.get("machine")),
        agent=p.csv("agent", q.get("agent")),
        include_one_shot=True,
    )
    offset, fingerprint = 0, _fingerprint(request)
    if q.get("cursor"):
        try:
            data = signer_of(request).unsign(CURSOR_PURPOSE, q["cursor"])
            if data.get("f") != fingerprint:
                raise ValueError("made for another query")
            offset = int(data["o"])
        except (BadSignature, KeyError, ValueError, TypeError):
            raise BadRequest(
                "cursor: invalid (pass the next_cursor of the previous page, with the same query)"
            ) from None
    compiled = compile_query(conn, q.get("q") or "", mode)
    params: dict[str, Any] = {}
    rows = search(
        conn,
        compiled,
        session_where=any_session_where(f, params),
        params=params,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = signer_of(request).sign(CURSOR_PURPOSE, {"o": offset + limit, "f": fingerprint})
    results = []
    for row in rows:
        start, window = row.pop("start"), row.pop("window") or ""
        # the window holds one character more than is shown when text follows it
        row["snippet"] = mark(
            window[:SNIPPET_CHARS],
            compiled.highlight,
            clipped_start=start > 1,
            clipped_end=len(window) > SNIPPET_CHARS,
        )
        results.append(row)
    return {
        "ok": True,
        "query": q.get("q"),
        "mode": mode,
        "sort": sort,
        "results": results,
        "count": len(results),
        "next_cursor": next_cursor,
        "window": SEARCH_WINDOW,
    }
