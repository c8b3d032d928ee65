"""Request bodies: ``POST /v1/plan``, ``POST /v1/push`` and ``POST /v1/deletes``.

A push body is the one the client does not build as a model: it carries up to 64 MB
of messages that the client encodes one by one (to size requests) and joins once.
:func:`push_body_chunks` and :func:`item_chunks` are that encoding, kept here beside
the models that validate it (tests/contract holds the two together).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

import orjson
from pydantic import AfterValidator, Field, field_validator

from avprotocol import PROTOCOL_VERSION
from avprotocol.identifiers import check_identifier
from avprotocol.limits import (
    MAX_CHECKPOINTS,
    MAX_DELETES,
    MAX_ID_CHARS,
    MAX_INT4,
    MAX_PLAN_SESSIONS,
    MAX_SESSIONS_PER_PUSH,
)
from avprotocol.session import SHA256_HEX, BaseIn, Strict

REQUEST_ID = r"^[A-Za-z0-9_-]+$"  # also sent as X-Request-Id, so header-safe
Version = Literal[1]


class PlanSessionIn(Strict):
    session_id: Annotated[str, AfterValidator(check_identifier)] = Field(
        min_length=1, max_length=MAX_ID_CHARS
    )
    fingerprint: str = Field(pattern=SHA256_HEX)
    message_count: int = Field(ge=0, le=MAX_INT4)
    checkpoints: list[tuple[int, str]] = Field(default_factory=list, max_length=MAX_CHECKPOINTS)

    @field_validator("checkpoints")
    @classmethod
    def _checkpoints_valid(cls, value: list[tuple[int, str]]) -> list[tuple[int, str]]:
        for ordinal, chain_hash in value:
            if (
                not 0 <= ordinal <= MAX_INT4
                or len(chain_hash) != 64
                or any(c not in "0123456789abcdef" for c in chain_hash)
            ):
                raise ValueError(
                    f"each checkpoint is [0 <= ordinal <= {MAX_INT4}, 64 lowercase hex characters]"
                )
        return value


class PlanRequest(Strict):
    protocol: Version
    sessions: list[PlanSessionIn] = Field(max_length=MAX_PLAN_SESSIONS)


class PlanEnvelope(Strict):
    """A plan request whose items the server validates one by one (a bad one is rejected alone)."""

    protocol: Version
    sessions: list[Any] = Field(max_length=MAX_PLAN_SESSIONS)


class PushRequest(Strict):
    """The envelope of a push. Its items are :class:`avprotocol.session.SessionIn`, each
    validated on its own by the server, so that one bad session is rejected alone."""

    protocol: Version
    request_id: str = Field(min_length=8, max_length=64, pattern=REQUEST_ID)
    sessions: list[dict[str, Any]] = Field(max_length=MAX_SESSIONS_PER_PUSH)


# What a /v1/deletes request asks (docs/protocol.md, "Sessions that leave the machine"):
# "gone": the logs disappeared from the machine; the server keeps the sessions, marked.
# "delete": the user asked (av-client delete); a tombstone the client will not push over.
# "mirror": the logs disappeared and the user opted into mirroring; a tombstone a later push
#   of the same session restores.
# "undelete": lift a deletion (av-client delete --undo), so a push may send the session again.
# Absent: a client from before history was kept, which sent this only for disappeared logs,
# so it means "gone".
DeleteAction = Literal["gone", "delete", "mirror", "undelete"]


class DeleteRequest(Strict):
    protocol: Version
    request_id: str = Field(min_length=8, max_length=64, pattern=REQUEST_ID)
    session_ids: list[str] = Field(max_length=MAX_DELETES)
    action: DeleteAction | None = None


def item_chunks(
    metadata: bytes,
    *,
    complete: bool,
    base: BaseIn | None,
    messages: Iterable[bytes],
    replace: bool = False,
) -> list[bytes]:
    """One push item's JSON, in pieces: ``metadata`` is the encoded object of its session's
    fields but ``messages`` (as ``{"session_id":…,…}``), each of ``messages`` an encoded message."""
    extra: dict[str, Any] = {"complete": complete}
    if base is not None:
        extra["base"] = {"ordinal": base.ordinal, "chain_hash": base.chain_hash}
    if replace:  # only when asked: a server from before the field refuses unknown fields
        extra["replace"] = True
    out = [metadata[:-1], b",", orjson.dumps(extra)[1:-1], b',"messages":[']
    for message in messages:
        out += (message, b",")
    if out[-1] == b",":
        out.pop()  # the last message's comma
    out.append(b"]}")
    return out


def push_body_chunks(request_id: str, items: Iterable[list[bytes]]) -> list[bytes]:
    """A whole push body (:class:`PushRequest`) in pieces, to be joined or compressed once."""
    out = [b'{"protocol":%d,"request_id":%s,"sessions":[' % (PROTOCOL_VERSION, orjson.dumps(request_id))]
    for i, item in enumerate(items):
        if i:
            out.append(b",")
        out += item
    out.append(b"]}")
    return out
