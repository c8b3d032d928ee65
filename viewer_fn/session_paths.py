"""How a session id travels in a URL path, so that every valid id opens (issue 11).

An id may hold ``/`` and may end like a sub-route (``laptop:a/messages``). Every layer in front
of the routes decodes the path once before routing (ASGI servers, API Gateway HTTP APIs even in
``rawPath``), so a plain ``%2F`` arrives as ``/`` and ``/sessions/laptop:a%2Fmessages`` would be
the messages of ``laptop:a``. So the id is escaped before it is percent-encoded: ``%`` as
``%25``, ``/`` as ``%2F``, ``?`` as ``%3F`` and ``#`` as ``%23`` (docs/api.md, "Session ids in
paths"; API Gateway HTTP APIs also cut the decoded path at a ``?``). After the one decoding the
route sees no ``/`` of the id, and the parameter is unescaped here. An id sent the old way (its
``/`` encoded once, or not at all) still opens when it does not end like a sub-route.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.datastructures import URL
from starlette.requests import Request

_ESCAPE = re.compile(r"%(2[Ff]|25|3[Ff]|23)")
_UNESCAPED = {"2F": "/", "25": "%", "3F": "?", "23": "#"}
_SESSIONS = "/api/v1/sessions/"


def unescape_sid(value: str) -> str:
    """The id a path parameter names: ``%2F`` is ``/``, ``%3F`` ``?``, ``%23`` ``#`` and ``%25``
    is ``%``, in one pass."""
    return _ESCAPE.sub(lambda m: _UNESCAPED[m.group(1).upper()], value)


def escape_sid(sid: str) -> str:
    """``sid`` with ``%``, ``/``, ``?`` and ``#`` escaped, before it is percent-encoded into a path."""
    return sid.replace("%", "%25").replace("/", "%2F").replace("?", "%3F").replace("#", "%23")


def sid_segment(sid: str) -> str:
    """``sid`` as one path segment that survives one decoding before the routes."""
    return quote(escape_sid(sid), safe=":@")


def own_url(request: Request) -> URL:
    """The URL of this request as a client must send it again (links in answers: ``next_url``,
    the text ranges, the export's parts).

    ``request.url`` holds the decoded path, where an escaped id has lost its escape
    (``laptop:a%2Fmessages`` would read as ``laptop:a/messages``): the id's segment is encoded
    again. Other routes' URLs are returned as they are."""
    raw = request.path_params.get("sid")
    path = request.url.path
    at = path.find(_SESSIONS)
    if not isinstance(raw, str) or at < 0 or not path[at + len(_SESSIONS) :].startswith(raw):
        return request.url
    start = at + len(_SESSIONS)
    return request.url.replace(path=path[:start] + quote(raw, safe=":@") + path[start + len(raw) :])
