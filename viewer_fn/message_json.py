"""A message page's JSON, each message encoded once.

A page used to be built as pydantic models, each measured by serializing it (for the byte
bound) and the page serialized again at the end: three passes over up to 4 MB per request.
Now each message is a plain dict in :class:`~viewer_fn.models.Message`'s field order,
encoded once with orjson; its length is what the byte bound counts, and the page is those
bytes joined inside the :class:`~viewer_fn.models.MessagePage` envelope. The output is
byte for byte what pydantic sends for the same model (orjson and pydantic agree on
strings, integers, floats and, with ``OPT_UTC_Z``, times; tests/viewer/test_message_json.py
compares them), and the routes still declare ``MessagePage`` as their response model, so
the OpenAPI document and the page's generated types do not change. Skipping pydantic's
validation loses nothing: every field comes from a column whose type, NOT NULL and CHECK
(``role``) say what the model says (infra/migrations/0001_initial.sql, messages and tool_calls).

orjson refuses one thing a message's free-form ``blocks`` may hold: an integer beyond 64 bits
(ingest bounds the nesting well below orjson's limit). Such a message, and a ``blocks`` that is
not a list of objects, goes through the pydantic model as before (which validates it).
"""

from __future__ import annotations

from typing import Any

import orjson

from viewer_fn.models import Message

OPTIONS = orjson.OPT_UTC_Z  # pydantic writes a UTC time with "Z", not "+00:00"


def _plain_blocks(blocks: Any) -> bool:
    """True when ``blocks`` has the declared shape (null, or a list of objects)."""
    return blocks is None or (type(blocks) is list and all(type(b) is dict for b in blocks))


def encode_message(fields: dict[str, Any]) -> bytes:
    """``fields`` (every field of a Message, in its order) as the JSON pydantic would send."""
    if _plain_blocks(fields["blocks"]):
        try:
            return orjson.dumps(fields, option=OPTIONS)
        except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits in blocks
            pass
    message = Message.model_validate(fields)
    return message.__pydantic_serializer__.to_json(message, by_alias=True)


def page_json(rows: list[bytes], *, next: str | None, next_url: str | None) -> bytes:
    """A MessagePage of already encoded ``rows``: ``{"ok":true,"rows":[…],"next":…,"next_url":…}``."""
    links = orjson.dumps({"next": next, "next_url": next_url}, option=OPTIONS)
    return b'{"ok":true,"rows":[' + b",".join(rows) + b"]," + links[1:]
