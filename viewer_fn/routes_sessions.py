"""Session routes: the filtered list, one session, its messages, children, minimap,
in-session search, change version and HTML export (agentsview §3.1, read side).

Detail, messages, minimap and children answer with a weak ETag derived from the
session's ``change_seq`` and honour ``If-None-Match`` (conditional.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import Response

from avcore.web import BadRequest, NotFound
from viewer_fn import params as p
from viewer_fn.conditional import conditional_json
from viewer_fn.deps import Conn, CurrentViewer, settings_of, signer_of
from viewer_fn.export import export_filename, render_export
from viewer_fn.filters import SessionFilter
from viewer_fn.queries_sessions import (
    children,
    get_session,
    list_messages,
    list_sessions,
    minimap,
    search_in_session,
    session_version,
)
from viewer_fn.signing import BadSignature

DEFAULT_SESSION_PAGE = 50
MAX_SESSION_PAGE = 500  # agentsview's cap
DEFAULT_MESSAGE_PAGE = 200
EXPORT_MAX_MESSAGES = 20_000  # one export is one response: Lambda answers at most 6 MB
CURSOR_PURPOSE = "cursor"

router = APIRouter()


def public(row: dict[str, Any]) -> dict[str, Any]:
    row.pop("pk", None)
    return row


def _cursor(
    request: Request, raw: str | None, f: SessionFilter
) -> tuple[tuple[datetime, int] | None, int | None]:
    if not raw:
        return None, None
    try:
        data = signer_of(request).unsign(CURSOR_PURPOSE, raw)
        if data.get("f", {}) != f.key():
            raise ValueError("made for other filters")
        return (datetime.fromisoformat(data["t"]), int(data["i"])), data.get("n")
    except (BadSignature, KeyError, ValueError, TypeError, AttributeError):
        raise BadRequest(
            "cursor: invalid (pass the next_cursor of the previous page, with the same filters)"
        ) from None


@router.get("/sessions")
def sessions(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    """Newest activity first; every agentsview filter; an opaque signed keyset cursor."""
    q = request.query_params
    limit = p.integer("limit", q.get("limit"), default=DEFAULT_SESSION_PAGE, lo=1, hi=MAX_SESSION_PAGE)
    assert limit is not None
    f = SessionFilter.from_request(request)
    after, carried_total = _cursor(request, q.get("cursor"), f)
    rows, total = list_sessions(conn, f, limit=limit, after=after, with_total=after is None)
    total = total if after is None else carried_total
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = signer_of(request).sign(
            CURSOR_PURPOSE,
            {"t": last["last_activity"].isoformat(), "i": last["pk"], "n": total, "f": f.key()},
        )
    return {"ok": True, "sessions": [public(r) for r in rows], "next_cursor": next_cursor, "total": total}


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


@router.get("/sessions/{sid}")
def session_detail(sid: str, request: Request, who: CurrentViewer, conn: Conn) -> Response:
    _, version = version_or_404(conn, sid)
    return conditional_json(
        request, version, lambda: {"ok": True, "session": public(session_or_404(conn, sid))}
    )


@router.get("/sessions/{sid}/version")
def session_change(sid: str, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    """The cheap change signal for one session: poll it, refetch when it moves."""
    _, version = version_or_404(conn, sid)
    return {"ok": True, "id": sid, "version": version}


@router.get("/sessions/{sid}/messages")
def messages(sid: str, request: Request, who: CurrentViewer, conn: Conn) -> Response:
    """A page by ordinal: ``from`` inclusive, ``direction`` asc (default) or desc."""
    q = request.query_params
    max_page = settings_of(request).max_page_size
    start = p.integer("from", q.get("from"), lo=0)
    limit = p.integer("limit", q.get("limit"), default=min(DEFAULT_MESSAGE_PAGE, max_page), lo=1, hi=max_page)
    direction = p.choice("direction", q.get("direction"), ("asc", "desc"), "asc")
    assert limit is not None
    pk, version = version_or_404(conn, sid)

    def build() -> dict[str, Any]:
        rows = list_messages(conn, pk=pk, start=start, limit=limit, descending=direction == "desc")
        return {"ok": True, "messages": rows, "count": len(rows)}

    return conditional_json(request, version, build)


@router.get("/sessions/{sid}/children")
def session_children(sid: str, request: Request, who: CurrentViewer, conn: Conn) -> Response:
    pk, version = version_or_404(conn, sid)
    return conditional_json(
        request, version, lambda: {"ok": True, "sessions": [public(r) for r in children(conn, pk)]}
    )


def sample(entries: list[dict[str, Any]], at_most: int) -> list[dict[str, Any]]:
    """Evenly spaced entries, first and last kept (agentsview's SampleMinimap)."""
    n = len(entries)
    if at_most <= 0 or n <= at_most:
        return entries
    if at_most == 1:
        return [entries[0]]
    return [entries[round(i * (n - 1) / (at_most - 1))] for i in range(at_most)]


@router.get("/sessions/{sid}/minimap")
def session_minimap(sid: str, request: Request, who: CurrentViewer, conn: Conn) -> Response:
    q = request.query_params
    start = p.integer("from", q.get("from"), default=0, lo=0)
    at_most = p.integer("max", q.get("max"), default=0, lo=0, hi=100_000)
    assert start is not None and at_most is not None
    pk, version = version_or_404(conn, sid)

    def build() -> dict[str, Any]:
        entries = sample(minimap(conn, pk=pk, start=start), at_most)
        return {"ok": True, "entries": entries, "count": len(entries)}

    return conditional_json(request, version, build)


@router.get("/sessions/{sid}/search")
def session_search(sid: str, request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    """Ordinals whose text or tool input/output contains ``q`` (case-insensitive substring)."""
    q = (request.query_params.get("q") or "").strip()
    if not q:
        raise BadRequest("q: required (the text to find in this session)")
    pk, _ = version_or_404(conn, sid)
    return {"ok": True, "ordinals": search_in_session(conn, pk=pk, q=q)}


@router.get("/sessions/{sid}/export")
def session_export(sid: str, who: CurrentViewer, conn: Conn) -> Response:
    """One self-contained HTML file (inline CSS, no script), as an attachment."""
    session = session_or_404(conn, sid)
    rows = list_messages(conn, pk=session["pk"], start=None, limit=EXPORT_MAX_MESSAGES, descending=False)
    body = render_export(public(session), rows, truncated=session["message_count"] > EXPORT_MAX_MESSAGES)
    return Response(
        body,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename(session)}"',
            # The file must render on its own: inline styles only, never scripts.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        },
    )
