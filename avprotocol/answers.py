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


PlanAction = Literal["have", "send_all", "send_from", "rejected"]


class FieldError(BaseModel):
    field: str  # dotted path into the item, e.g. messages.1.ordinal
    message: str


class PlanResult(BaseModel):
    session_id: str  # as sent (a NUL in a refused one is answered as U+FFFD: avprotocol.identifiers)
    action: PlanAction
    from_ordinal: int | None = None  # send_from: the first ordinal to send
    base_chain_hash: str | None = None  # send_from: the chain hash at from_ordinal - 1
    held_messages: int | None = None  # a session the server holds: how many messages
    held_chain_head: str | None = None  # ... and the chain hash of its last one
    # With "have": the user deleted this session (av-client delete); do not send it again.
    # (A client that does not know the field still sends nothing: it reads "have".)
    deleted: bool | None = None
    errors: list[FieldError] = Field(default_factory=list)  # rejected: what was wrong with the item


class PlanResponse(Answer):
    database_id: str
    results: list[PlanResult]


ItemStatus = Literal["applied", "unchanged", "resend", "rejected"]


class ItemResult(BaseModel):
    session_id: str
    status: ItemStatus
    reason: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class PushResponse(Answer):
    request_id: str
    database_id: str
    results: list[ItemResult]


# The statuses of /v1/deletes, by action (docs/protocol.md). The first four were added before any
# client that reads answers as models was released; clients before those read statuses as plain
# strings and ignore the ones they do not know, so they are no protocol change for them.
DeleteStatus = Literal[
    "marked",  # gone: now marked as gone from its machine, kept
    "already_gone",  # gone: marked before
    "undeleted",  # undelete: the tombstone is lifted
    "not_deleted",  # undelete: the session is not deleted
    "deleted",  # delete, mirror: now a tombstone; gone: it was one already
    "already_deleted",  # delete, mirror
    "not_found",
    "rejected",  # any action: the id cannot be one (errors say why; docs/protocol.md)
]


class DeleteResult(BaseModel):
    session_id: str
    status: DeleteStatus
    errors: list[FieldError] = Field(default_factory=list)  # rejected: why the id cannot be one


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
    # Of ``sessions``: kept here, their logs gone from the machine (history is kept).
    gone_locally_sessions: int = 0
    # Of ``deleted_sessions``: by the user (av-client delete; not pushed again), and deleted
    # before history was kept, when a vanished log deleted its session (their messages cannot
    # come back from the server; a push of the log restores them).
    deleted_by_user_sessions: int = 0
    legacy_deleted_sessions: int = 0
    # The newest (at most 100) of this machine's sessions the indexer could not index.
    index_failures: list[IndexFailure] = Field(default_factory=list)


class HeldSession(BaseModel):
    session_id: str
    fingerprint: str
    message_count: int
    deleted: bool
    # For verify and for choosing what to delete (av-client delete's filters and dry run).
    deleted_by: Literal["user", "mirror", "legacy"] | None = None  # null unless deleted
    gone_locally_at: datetime | None = None
    agent: str = ""
    project: str = ""
    title: str | None = None  # display name, else the first message, cut to 100 characters
    last_activity: datetime | None = None


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
