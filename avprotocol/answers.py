"""Every answer of the ingest API, as the server builds it and av-client reads it.

Answers ignore fields they do not know, so a server that adds one does not break an
older client; a new value of ``status`` or ``action`` is a protocol change
(docs/protocol.md, "Changing the protocol").
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from avprotocol import PROTOCOL_VERSION


class Answer(BaseModel):
    ok: bool = True
    protocol: int = PROTOCOL_VERSION


class HealthResponse(BaseModel):
    ok: bool = True
    protocol: int = PROTOCOL_VERSION
    version: str | None = None  # the server's release (avprotocol.__version__); absent before 0.3.0


PlanAction = Literal["have", "send_all", "send_from"]


class PlanResult(BaseModel):
    session_id: str
    action: PlanAction
    from_ordinal: int | None = None  # send_from: the first ordinal to send
    base_chain_hash: str | None = None  # send_from: the chain hash at from_ordinal - 1
    held_messages: int | None = None  # a session the server holds: how many messages
    held_chain_head: str | None = None  # ... and the chain hash of its last one


class PlanResponse(Answer):
    database_id: str
    results: list[PlanResult]


ItemStatus = Literal["applied", "unchanged", "resend", "rejected"]


class FieldError(BaseModel):
    field: str  # dotted path into the item, e.g. messages.1.ordinal
    message: str


class ItemResult(BaseModel):
    session_id: str
    status: ItemStatus
    reason: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class PushResponse(Answer):
    request_id: str
    database_id: str
    results: list[ItemResult]


class DeleteResult(BaseModel):
    session_id: str
    status: Literal["deleted", "not_found", "already_deleted"]


class DeleteResponse(Answer):
    request_id: str
    database_id: str
    results: list[DeleteResult]


class IndexFailure(BaseModel):
    """A session the indexer could not index (it is still stored, found and counted)."""

    session_id: str
    failed_at: datetime
    error: str


class StatusResponse(Answer):
    machine: str
    database_id: str
    sessions: int
    deleted_sessions: int
    messages: int
    tool_calls: int
    last_push_at: datetime | None
    # The newest (at most 100) of this machine's sessions the indexer could not index.
    index_failures: list[IndexFailure] = Field(default_factory=list)


class HeldSession(BaseModel):
    session_id: str
    fingerprint: str
    message_count: int
    deleted: bool


class HeldSessionsResponse(Answer):
    database_id: str
    sessions: list[HeldSession]
    next_cursor: str | None


class Problem(BaseModel):
    """Every error (``application/problem+json``), from any route."""

    ok: Literal[False] = False
    status: int
    error: str  # what was wrong, "; "-joined when several things were
    errors: list[FieldError] = Field(default_factory=list)
