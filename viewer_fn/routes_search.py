"""``GET /api/v1/search``: ranked full-text, phrase, prefix and substring search
across every session, with filters, marked snippets and paging (paging.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from viewer_fn.budget import fitting
from viewer_fn.deps import Conn
from viewer_fn.filters import SessionFilter, any_session_where
from viewer_fn.models_search import SearchHit, SearchPage
from viewer_fn.paging import PagerDep, position_error
from viewer_fn.params import CommaList, Text
from viewer_fn.queries_search import SEARCH_WINDOW, SNIPPET_CHARS, search
from viewer_fn.search_query import MAX_QUERY_CHARS, compile_query
from viewer_fn.snippets import mark

DEFAULT_SEARCH_PAGE = 50
MAX_SEARCH_PAGE = 500

router = APIRouter(tags=["search"])


def _offset(position: Any) -> int:
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= SEARCH_WINDOW:
        raise position_error()
    return position


@router.get("/search")
def global_search(
    conn: Conn,
    paging: PagerDep,
    q: Annotated[
        Text,
        Query(
            max_length=MAX_QUERY_CHARS,
            description='words (all must occur), "exact phrase", -excluded, prefix*; '
            "with mode=substring the whole text, literally",
        ),
    ],
    mode: Literal["words", "substring"] = "words",
    sort: Annotated[
        Literal["rank", "recent"] | None, Query(description="default: rank for words, recent for substring")
    ] = None,
    project: Annotated[CommaList, Query(description="only these projects (comma list)")] = None,
    machine: Annotated[CommaList, Query(description="only these machines (comma list)")] = None,
    agent: Annotated[CommaList, Query(description="only these agents (comma list)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_PAGE)] = DEFAULT_SEARCH_PAGE,
) -> SearchPage:
    """Messages and tool outputs of live sessions (children included) that match ``q``."""
    order = sort or ("rank" if mode == "words" else "recent")
    f = SessionFilter(project=project, machine=machine, agent=agent, include_one_shot=True)
    offset = _offset(paging.position) if paging.position is not None else 0
    compiled = compile_query(conn, q, mode)
    found = search(conn, compiled, where=any_session_where(f), sort=order, limit=limit, offset=offset)
    rows = found.rows
    results = []
    for row in rows[:limit]:
        start, window = row.pop("start"), row.pop("window") or ""
        # the window holds one character more than is shown when text follows it
        row["snippet"] = mark(
            window[:SNIPPET_CHARS],
            compiled.highlight,
            clipped_start=start > 1,
            clipped_end=len(window) > SNIPPET_CHARS,
        )
        results.append(SearchHit.model_validate(row))
    n = fitting(results)  # ends the page early when its JSON would pass the budget
    position = offset + n if n < len(rows) else None
    results = results[:n]
    return SearchPage(
        rows=results,
        query=q,
        mode=mode,
        sort=order,
        window=SEARCH_WINDOW,
        truncated=found.truncated,
        looked_back_to=found.looked_back_to,
        **paging.links(position),
    )
