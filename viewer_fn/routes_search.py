"""``GET /api/v1/search``: ranked full-text, phrase, prefix and substring search
across every session, with filters, marked snippets and paging (paging.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import Query

from avcore.routes import RouteTable
from avcore.web import BadRequest
from viewer_fn.budget import fitting
from viewer_fn.deps import Conn
from viewer_fn.filters import SessionFilter, any_session_where
from viewer_fn.models_search import SearchHit, SearchPage
from viewer_fn.paging import PagerDep, position_error
from viewer_fn.params import CommaList, Day, Text
from viewer_fn.queries_search import SEARCH_WINDOW, search
from viewer_fn.search_page import SNIPPET_CHARS
from viewer_fn.search_query import MAX_QUERY_CHARS, compile_query
from viewer_fn.search_texts import TEXT_KINDS, TextFilter
from viewer_fn.snippets import mark

DEFAULT_SEARCH_PAGE = 50
MAX_SEARCH_PAGE = 500

router = RouteTable(tags=["search"])


def _offset(position: Any) -> int:
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= SEARCH_WINDOW:
        raise position_error()
    return position


def _text_filter(role: list[str] | None, date_from: date | None, date_to: date | None) -> TextFilter:
    unknown = sorted(set(role or ()) - set(TEXT_KINDS))
    if unknown:
        raise BadRequest(f"role: {', '.join(unknown)} is not one of {', '.join(TEXT_KINDS)}")
    if date_from and date_to and date_from > date_to:
        raise BadRequest(f"date_from: {date_from} is after date_to {date_to}")
    return TextFilter(
        kinds=frozenset(role) if role else None,
        since=datetime.combine(date_from, time(), UTC) if date_from else None,
        before=datetime.combine(date_to + timedelta(days=1), time(), UTC) if date_to else None,
    )


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
    role: Annotated[
        CommaList,
        Query(
            description="only these texts (comma list): user, assistant or system (a message's text by its "
            "role), tool (tool outputs)"
        ),
    ] = None,
    date_from: Annotated[
        Day, Query(description="texts of this UTC day or later (the text's own time)")
    ] = None,
    date_to: Annotated[
        Day, Query(description="texts of this UTC day or earlier (the text's own time)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_PAGE)] = DEFAULT_SEARCH_PAGE,
) -> SearchPage:
    """Messages and tool outputs of live sessions (children included) that match ``q``."""
    order = sort or ("rank" if mode == "words" else "recent")
    texts = _text_filter(role, date_from, date_to)
    f = SessionFilter(project=project, machine=machine, agent=agent, include_one_shot=True)
    offset = _offset(paging.position) if paging.position is not None else 0
    compiled = compile_query(conn, q, mode)
    found = search(
        conn, compiled, where=any_session_where(f), texts=texts, sort=order, limit=limit, offset=offset
    )
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
