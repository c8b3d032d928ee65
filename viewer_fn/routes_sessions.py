"""Session routes: the filtered list, one session, its children, minimap, in-session
search and change version (agentsview's read side; messages: routes_messages.py).

Detail, messages, minimap and children answer with a weak ETag derived from the
session's ``change_seq`` and honour ``If-None-Match`` (conditional.py). Lists are
one envelope with one cursor scheme (paging.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import psycopg
from fastapi import Query, Request
from fastapi.responses import Response

from avcore.routes import RouteTable
from avcore.web import NotFound
from viewer_fn import cost
from viewer_fn import params as p
from viewer_fn.budget import fitting
from viewer_fn.conditional import conditional
from viewer_fn.deps import Conn
from viewer_fn.filters import SessionFilterDep, session_where
from viewer_fn.models import (
    ChildrenPage,
    MinimapEntry,
    MinimapPage,
    OrdinalPage,
    Session,
    SessionDetail,
    SessionPage,
    SessionVersion,
)
from viewer_fn.models_cost import SessionCostDetail
from viewer_fn.openapi import NOT_FOUND
from viewer_fn.paging import PagerDep, position_error
from viewer_fn.pricing import price_table
from viewer_fn.queries_sessions import (
    children,
    get_session,
    minimap,
    search_in_session,
    session_version,
)
from viewer_fn.queries_sessions import list_sessions as query_sessions

DEFAULT_SESSION_PAGE = 50
MAX_SESSION_PAGE = 500  # agentsview's cap
DEFAULT_CHILD_PAGE = 100
MAX_CHILD_PAGE = 500
DEFAULT_MINIMAP_PAGE = 20_000  # ~100 bytes an entry: a page stays near 2 MB
MAX_MINIMAP_PAGE = 20_000
MAX_ORDINAL_PAGE = 100_000

router = RouteTable(tags=["sessions"])


def _keyset(position: Any) -> tuple[datetime, int]:
    try:
        return datetime.fromisoformat(position[0]), int(position[1])
    except (TypeError, ValueError, IndexError, KeyError):
        raise position_error() from None


def _ordinal(position: Any) -> int:
    if not isinstance(position, int) or isinstance(position, bool):
        raise position_error()
    return position


@router.get("/sessions", response_model=SessionPage)
def list_sessions(
    f: SessionFilterDep,
    conn: Conn,
    paging: PagerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_SESSION_PAGE)] = DEFAULT_SESSION_PAGE,
) -> SessionPage:
    """Newest activity first (``last_activity``, then id); every agentsview filter."""
    after, carried_total = None, None
    if paging.position is not None:
        after = _keyset(paging.position)
        carried_total = paging.position[2] if len(paging.position) > 2 else None
    rows, total = query_sessions(conn, session_where(f), limit=limit, after=after, with_total=after is None)
    total = total if after is None else carried_total
    page = [Session.model_validate(r) for r in rows[:limit]]
    n = fitting(page)  # ends the page early when its JSON would pass the budget
    position = [rows[n - 1]["last_activity"].isoformat(), rows[n - 1]["pk"], total] if n < len(rows) else None
    return SessionPage(rows=page[:n], total=total, **paging.links(position))


def session_or_404(conn: psycopg.Connection, sid: str) -> dict[str, Any]:
    machine, session_id = p.session_key(sid)
    row = get_session(conn, machine=machine, session_id=session_id)
    if row is None:
        raise NotFound(f"no session with id {sid!r}")
    return row


def version_or_404(conn: psycopg.Connection, sid: str) -> tuple[int, int]:
    machine, session_id = p.session_key(sid)
    found = session_version(conn, machine=machine, session_id=session_id)
    if found is None:
        raise NotFound(f"no session with id {sid!r}")
    return found


@router.get("/sessions/{sid:path}/version", responses=NOT_FOUND)
def session_change(sid: p.SessionId, conn: Conn) -> SessionVersion:
    """The cheap change signal for one session: poll it, refetch when it moves."""
    _, version = version_or_404(conn, sid)
    return SessionVersion(id=sid, version=version)


@router.get("/sessions/{sid:path}/cost", responses=NOT_FOUND)
def session_cost(sid: p.SessionId, conn: Conn) -> SessionCostDetail:
    """Dollars of the session and of its subagent and fork children, priced as
    ``/analytics/cost`` prices them (unknown models unpriced, never $0). Its own route, not a
    field of the session: pricing loads the price table, which the first screen need not wait for."""
    pk, _ = version_or_404(conn, sid)
    table = price_table()
    tree, rows = cost.usage(conn, table, [pk], tz="UTC")
    summary = cost.session_summary(table, rows, pk=pk, counted=len(tree) - 1)
    return SessionCostDetail.model_validate({"id": sid, "prices": cost.prices(table), **summary})


@router.get("/sessions/{sid:path}/children", responses=NOT_FOUND, response_model=ChildrenPage)
def session_children(
    sid: p.SessionId,
    request: Request,
    conn: Conn,
    paging: PagerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_CHILD_PAGE)] = DEFAULT_CHILD_PAGE,
) -> Response:
    """Every child session -- subagent, fork, continuation -- oldest first, with its ``relationship``."""
    pk, version = version_or_404(conn, sid)
    after = _keyset(paging.position) if paging.position is not None else None

    def build() -> ChildrenPage:
        rows = children(conn, pk, limit=limit, after=after)
        page = [Session.model_validate(r) for r in rows[:limit]]
        n = fitting(page)
        position = [rows[n - 1]["sort_start"].isoformat(), rows[n - 1]["pk"]] if n < len(rows) else None
        return ChildrenPage(rows=page[:n], **paging.links(position))

    return conditional(request, version, build)


def sample(entries: list[dict[str, Any]], at_most: int) -> list[dict[str, Any]]:
    """Evenly spaced entries, first and last kept (agentsview's SampleMinimap)."""
    n = len(entries)
    if at_most <= 0 or n <= at_most:
        return entries
    if at_most == 1:
        return [entries[0]]
    return [entries[round(i * (n - 1) / (at_most - 1))] for i in range(at_most)]


@router.get("/sessions/{sid:path}/minimap", responses=NOT_FOUND, response_model=MinimapPage)
def session_minimap(
    sid: p.SessionId,
    request: Request,
    conn: Conn,
    paging: PagerDep,
    start: Annotated[int, Query(alias="from", ge=0, description="first ordinal")] = 0,
    at_most: Annotated[
        int,
        Query(
            alias="max",
            ge=0,
            le=MAX_MINIMAP_PAGE,
            description="> 0: at most this many entries, evenly sampled over the whole rest of the session "
            "(first and last kept; one page)",
        ),
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_MINIMAP_PAGE)] = DEFAULT_MINIMAP_PAGE,
) -> Response:
    """One entry per message (role, length, thinking, tool use): the session's shape at a glance."""
    if paging.position is not None:
        start = _ordinal(paging.position)
    pk, version = version_or_404(conn, sid)

    def build() -> MinimapPage:
        if at_most > 0:
            entries = sample(minimap(conn, pk=pk, start=start, limit=2**31 - 1), at_most)
            return MinimapPage(
                rows=[MinimapEntry.model_validate(e) for e in entries], next=None, next_url=None
            )
        entries = minimap(conn, pk=pk, start=start, limit=limit + 1)
        position = None
        if len(entries) > limit:
            position = entries[limit]["ordinal"]
            entries = entries[:limit]
        return MinimapPage(rows=[MinimapEntry.model_validate(e) for e in entries], **paging.links(position))

    return conditional(request, version, build)


@router.get("/sessions/{sid:path}/search", responses=NOT_FOUND)
def session_search(
    sid: p.SessionId,
    conn: Conn,
    paging: PagerDep,
    q: Annotated[p.Text, Query(min_length=1, max_length=500, description="text to find (case-insensitive)")],
    limit: Annotated[int, Query(ge=1, le=MAX_ORDINAL_PAGE)] = MAX_ORDINAL_PAGE,
) -> OrdinalPage:
    """Ordinals whose text or tool input/output contains ``q`` (case-insensitive substring)."""
    pk, _ = version_or_404(conn, sid)
    start = _ordinal(paging.position) if paging.position is not None else 0
    found = search_in_session(conn, pk=pk, q=q, start=start, limit=limit + 1)
    position = None
    if len(found) > limit:
        position = found[limit]
        found = found[:limit]
    return OrdinalPage(rows=found, **paging.links(position))


# Last, and after routes_messages (app.py): an id may hold "/", so this route would also match
# /sessions/<id>/messages and the others; they are tried first.
@router.get("/sessions/{sid:path}", responses=NOT_FOUND, response_model=SessionDetail)
def session_detail(sid: p.SessionId, request: Request, conn: Conn) -> Response:
    _, version = version_or_404(conn, sid)
    return conditional(
        request, version, lambda: SessionDetail(session=Session.model_validate(session_or_404(conn, sid)))
    )
