"""A session's messages: byte-bounded pages, the ranged text route for what a page cut,
and the HTML export (a file of bounded size, in parts).

Every answer stays under budget.RESPONSE_LIMIT_BYTES, whatever the session holds:
a page ends when its JSON would pass the budget (``next`` continues), a long text
is cut with its full size and a URL for the rest (message_pages.py), and the rest
comes at most ``TEXT_RANGE_MAX_CHARS`` a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request
from fastapi.responses import Response

from avcore.routes import RouteTable
from avcore.web import BadRequest, NotFound
from viewer_fn import params as p
from viewer_fn.budget import BLOCK_CHARS, TEXT_RANGE_MAX_CHARS
from viewer_fn.conditional import conditional
from viewer_fn.deps import Conn, settings_of
from viewer_fn.export import EXPORT_TEXT_CHARS, export_filename, export_part
from viewer_fn.message_json import page_json
from viewer_fn.message_pages import Link, blocks_text, message_page, pointer_path
from viewer_fn.models import CutPart, MessagePage, TextRange
from viewer_fn.openapi import NOT_FOUND
from viewer_fn.paging import PagerDep, position_error
from viewer_fn.queries_sessions import list_messages, message_blocks, text_range
from viewer_fn.routes_sessions import session_or_404, version_or_404
from viewer_fn.session_paths import own_url

DEFAULT_MESSAGE_PAGE = 200
EXPORT_BATCH = 500  # messages read at a time while an export part fills

router = RouteTable(tags=["sessions"])
Ordinal = Annotated[int, Path(ge=0, le=2**31 - 1, description="the message's ordinal")]


def _text_link(request: Request) -> Link:
    """URLs of the ranged text route, next to this messages route."""
    own = own_url(request)
    messages_path = own.path.rstrip("/")

    def link(ordinal: int, part: CutPart, call_index: int | None, pointer: str | None, offset: int) -> str:
        query: dict[str, str | int] = {"part": part, "offset": offset}
        if call_index is not None:
            query["call_index"] = call_index
        if pointer is not None:
            query["pointer"] = pointer
        url = own.replace(path=f"{messages_path}/{ordinal}/text", query="")
        return str(url.include_query_params(**query))

    return link


@router.get("/sessions/{sid:path}/messages", responses=NOT_FOUND, response_model=MessagePage)
def messages(
    sid: p.SessionId,
    request: Request,
    conn: Conn,
    paging: PagerDep,
    start: Annotated[
        int | None,
        Query(
            alias="from", ge=0, description="first ordinal (inclusive); desc without it starts at the last"
        ),
    ] = None,
    limit: Annotated[
        int | None, Query(ge=1, description="messages per page, at most AV_MAX_PAGE_SIZE")
    ] = None,
    direction: Literal["asc", "desc"] = "asc",
) -> Response:
    """A page of messages by ordinal, ascending (default) or descending; bounded by count and by
    bytes. Texts over 65,536 characters are cut, each with a ``cuts`` entry giving its full size
    and the URL of the rest."""
    max_page = settings_of(request).max_page_size
    if limit is None:
        limit = min(DEFAULT_MESSAGE_PAGE, max_page)
    elif limit > max_page:
        raise BadRequest(f"limit: must be at most {max_page} (got {limit})")
    if paging.position is not None:
        if not isinstance(paging.position, int) or isinstance(paging.position, bool):
            raise position_error()
        start = paging.position
    pk, version = version_or_404(conn, sid)

    def build() -> bytes:  # a MessagePage, encoded message by message (message_json.py)
        rows = list_messages(
            conn, pk=pk, start=start, limit=limit + 1, descending=direction == "desc", cut=BLOCK_CHARS
        )
        page, position = message_page(rows, limit=limit, link=_text_link(request))
        return page_json(page, **paging.links(position))

    return conditional(request, version, build)


@router.get("/sessions/{sid:path}/messages/{ordinal}/text", responses=NOT_FOUND, response_model=TextRange)
def message_text(
    sid: p.SessionId,
    ordinal: Ordinal,
    request: Request,
    conn: Conn,
    part: Annotated[CutPart, Query(description="which text: as in a message's `cuts`")],
    call_index: Annotated[
        int | None, Query(ge=0, description="the tool call (tool_input, tool_result)")
    ] = None,
    pointer: Annotated[
        str | None, Query(max_length=4096, description="JSON pointer into blocks (block)")
    ] = None,
    offset: Annotated[int, Query(ge=0, description="first character (Unicode code points from 0)")] = 0,
    limit: Annotated[
        int, Query(ge=1, le=TEXT_RANGE_MAX_CHARS, description="characters")
    ] = TEXT_RANGE_MAX_CHARS,
) -> Response:
    """A range of one text of a message: what a page's ``cuts`` left out, in as many requests as it takes."""
    if part in ("tool_input", "tool_result") and call_index is None:
        raise BadRequest(f"call_index: required for part={part}")
    path = None
    if part == "block":
        try:
            path = pointer_path(pointer or "")
        except ValueError:
            raise BadRequest("pointer: required for part=block, a JSON pointer such as /0/text") from None
    pk, version = version_or_404(conn, sid)

    def build() -> TextRange:
        if part == "blocks":
            blocks = message_blocks(conn, pk=pk, ordinal=ordinal)
            whole = blocks_text(blocks) if blocks is not None else None
            found = (whole[offset : offset + limit], len(whole)) if whole is not None else None
        else:
            found = text_range(
                conn,
                pk=pk,
                ordinal=ordinal,
                part=part,
                call_index=call_index,
                path=path,
                offset=offset,
                limit=limit,
            )
        if found is None:
            raise NotFound(f"message {ordinal} of {sid!r} has no {part} text here")
        text, total = found
        end = offset + len(text)
        next_offset = end if end < total else None
        return TextRange(
            part=part,
            call_index=call_index,
            pointer=pointer,
            offset=offset,
            text=text,
            total_chars=total,
            next_offset=next_offset,
            next_url=str(own_url(request).include_query_params(offset=next_offset))
            if next_offset is not None
            else None,
        )

    return conditional(request, version, build)


@router.get(
    "/sessions/{sid:path}/export",
    response_class=Response,
    responses={
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "the session as one HTML file (or one part of it)",
            "headers": {
                "Content-Disposition": {
                    "description": "attachment; `<project>-<date>.html`, later parts `…-from-N.html`",
                    "schema": {"type": "string"},
                },
                "Link": {
                    "description": '`<…/export?from=N>; rel="next"` when the session continues in another part',
                    "schema": {"type": "string"},
                },
            },
        },
        **NOT_FOUND,
    },
)
def session_export(
    sid: p.SessionId,
    request: Request,
    conn: Conn,
    start: Annotated[int, Query(alias="from", ge=0, description="first ordinal of this part")] = 0,
) -> Response:
    """One self-contained HTML file (inline CSS, no script), as an attachment. A session too big
    for one response comes in parts: ``Link: <…?from=N>; rel="next"`` names the next one."""
    session = session_or_404(conn, sid)

    def batches(after: int) -> Iterator[list[dict[str, Any]]]:
        while True:
            rows = list_messages(
                conn,
                pk=session["pk"],
                start=after,
                limit=EXPORT_BATCH,
                descending=False,
                cut=EXPORT_TEXT_CHARS,
            )
            if not rows:
                return
            yield rows
            after = rows[-1]["ordinal"] + 1

    body, next_from = export_part(session, batches(start), first=start)
    headers = {
        "Content-Disposition": f'attachment; filename="{export_filename(session, start)}"',
        # The file must render on its own: inline styles only, never scripts.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    }
    if next_from is not None:
        headers["Link"] = f'<{own_url(request).include_query_params(**{"from": next_from})}>; rel="next"'
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)
