"""Protocol v1 request and response shapes (see docs/protocol.md).

Field limits are part of the contract: over-long free text is cut with a marker
by the store (never rejected whole), while structurally wrong input is a 400
that names the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator, with_config
from typing_extensions import TypedDict

PROTOCOL_VERSION = 1
MAX_SESSIONS_PER_PUSH = 500
MAX_MESSAGES_PER_SESSION_PART = 50_000
MAX_TOOL_CALLS_PER_MESSAGE = 1_000
SHA256_HEX = r"^[0-9a-f]{64}$"


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00: before year 1 in UTC
        raise ValueError("the time is out of range once converted to UTC") from None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


# Messages, their tool calls and usage are TypedDicts, not models: a push carries
# thousands of them, and building model instances was ~14 of the ~22 ms it took to
# validate a 3,000-message request (bench/ingest_bench.py); dicts validate in ~10.
# Absent optional keys take the defaults documented in docs/protocol.md (store.py
# applies them). Unknown keys are refused as for every model here.
_FORBID = ConfigDict(extra="forbid")


def _default(value: object) -> Any:
    """Documents the default an absent key takes (applied by store.py), in the OpenAPI schema."""
    return Field(json_schema_extra={"default": value})  # type: ignore[dict-item]


_Count = Annotated[int, Field(ge=0, le=2**31 - 1), _default(0)]
_Flag = Annotated[bool, _default(False)]


@with_config(_FORBID)
class UsageIn(TypedDict, total=False):
    input_tokens: _Count
    output_tokens: _Count
    cache_creation_tokens: _Count
    cache_read_tokens: _Count


@with_config(_FORBID)
class ToolCallIn(TypedDict):
    call_index: Annotated[int, Field(ge=0, le=MAX_TOOL_CALLS_PER_MESSAGE)]
    tool_name: Annotated[str, Field(min_length=1, max_length=512)]
    tool_use_id: NotRequired[Annotated[str, Field(max_length=512), _default("")]]
    category: NotRequired[Annotated[str, Field(max_length=64), _default("other")]]
    input_json: NotRequired[Annotated[str | None, _default(None)]]
    skill_name: NotRequired[Annotated[str | None, Field(max_length=512), _default(None)]]
    result_content: NotRequired[Annotated[str | None, _default(None)]]
    result_is_error: NotRequired[_Flag]
    subagent_session_id: NotRequired[Annotated[str | None, Field(max_length=512), _default(None)]]


@with_config(_FORBID)
class MessageIn(TypedDict):
    ordinal: Annotated[int, Field(ge=0, le=2**31 - 1)]
    role: Literal["user", "assistant", "system"]
    content: str
    chain_hash: Annotated[str, Field(pattern=SHA256_HEX)]
    timestamp: NotRequired[Annotated[datetime | None, _default(None)]]  # without an offset: UTC
    blocks: NotRequired[Annotated[list[dict[str, Any]] | None, _default(None)]]
    model: NotRequired[Annotated[str | None, Field(max_length=256), _default(None)]]
    message_key: NotRequired[Annotated[str | None, Field(max_length=512), _default(None)]]
    has_thinking: NotRequired[_Flag]
    has_tool_use: NotRequired[_Flag]
    is_system: NotRequired[_Flag]
    usage: NotRequired[Annotated[UsageIn | None, _default(None)]]
    tool_calls: NotRequired[
        Annotated[list[ToolCallIn], Field(max_length=MAX_TOOL_CALLS_PER_MESSAGE), _default([])]
    ]


class BaseIn(Strict):
    """The message a part builds on: ordinal ``ordinal - 1`` must have ``chain_hash``."""

    ordinal: int = Field(ge=1, le=2**31 - 1)
    chain_hash: str = Field(pattern=SHA256_HEX)


class SessionIn(Strict):
    session_id: str = Field(min_length=1, max_length=512)
    agent: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    project: str = Field(default="", max_length=1024)
    cwd: str | None = Field(default=None, max_length=4096)
    git_branch: str | None = Field(default=None, max_length=1024)
    source_path: str | None = Field(default=None, max_length=4096)
    first_message: str | None = None
    display_name: str | None = Field(default=None, max_length=1024)
    created_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    parent_session_id: str | None = Field(default=None, max_length=512)
    relationship: Literal["", "subagent", "fork", "continuation"] = ""
    parent_tool_use_id: str | None = Field(default=None, max_length=512)
    fingerprint: str = Field(pattern=SHA256_HEX)
    base: BaseIn | None = None
    complete: bool = True
    messages: list[MessageIn] = Field(default_factory=list, max_length=MAX_MESSAGES_PER_SESSION_PART)

    _utc_times = field_validator("created_at", "started_at", "ended_at")(classmethod(lambda cls, v: _utc(v)))

    @model_validator(mode="after")
    def _ordinals_are_consecutive(self) -> SessionIn:
        # The hash chain and parts both rely on ordinals base, base+1, base+2, ...
        start = self.base.ordinal if self.base else 0
        for index, msg in enumerate(self.messages):
            if msg["ordinal"] != start + index:
                raise ValueError(
                    f"messages[{index}].ordinal is {msg['ordinal']}; expected {start + index} "
                    f"(ordinals run consecutively from {'base.ordinal' if self.base else '0'})"
                )
            calls = msg.get("tool_calls")
            if calls and len({c["call_index"] for c in calls}) != len(calls):
                seen: set[int] = set()
                for call in calls:
                    if call["call_index"] in seen:
                        raise ValueError(f"messages[{index}] repeats tool call_index {call['call_index']}")
                    seen.add(call["call_index"])
        return self


class PushRequest(Strict):
    protocol: Literal[1]
    request_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    sessions: list[dict[str, Any]] = Field(max_length=MAX_SESSIONS_PER_PUSH)


MAX_PLAN_SESSIONS = 5_000
MAX_CHECKPOINTS = 64
MAX_DELETES = 5_000


class PlanSessionIn(Strict):
    session_id: str = Field(min_length=1, max_length=512)
    fingerprint: str = Field(pattern=SHA256_HEX)
    message_count: int = Field(ge=0, le=2**31 - 1)
    checkpoints: list[tuple[int, str]] = Field(default_factory=list, max_length=MAX_CHECKPOINTS)

    @field_validator("checkpoints")
    @classmethod
    def _checkpoints_valid(cls, value: list[tuple[int, str]]) -> list[tuple[int, str]]:
        for ordinal, chain_hash in value:
            if ordinal < 0 or len(chain_hash) != 64 or any(c not in "0123456789abcdef" for c in chain_hash):
                raise ValueError("each checkpoint is [ordinal >= 0, 64 lowercase hex characters]")
        return value


class PlanRequest(Strict):
    protocol: Literal[1]
    sessions: list[PlanSessionIn] = Field(max_length=MAX_PLAN_SESSIONS)


class PlanResult(BaseModel):
    session_id: str
    action: Literal["have", "send_all", "send_from"]
    from_ordinal: int | None = None
    base_chain_hash: str | None = None
    held_messages: int | None = None
    held_chain_head: str | None = None


class PlanResponse(BaseModel):
    ok: bool = True
    protocol: int = PROTOCOL_VERSION
    database_id: str
    results: list[PlanResult]


class DeleteRequest(Strict):
    protocol: Literal[1]
    request_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    session_ids: list[str] = Field(max_length=MAX_DELETES)


class DeleteResult(BaseModel):
    session_id: str
    status: Literal["deleted", "not_found", "already_deleted"]


class DeleteResponse(BaseModel):
    ok: bool = True
    protocol: int = PROTOCOL_VERSION
    request_id: str
    database_id: str
    results: list[DeleteResult]


class IndexFailure(BaseModel):
    """A session the indexer could not index (it is still stored, found and counted)."""

    session_id: str
    failed_at: datetime
    error: str


class StatusResponse(BaseModel):
    ok: bool = True
    protocol: int = PROTOCOL_VERSION
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


class HeldSessionsResponse(BaseModel):
    ok: bool = True
    sessions: list[HeldSession]
    next_cursor: str | None


ItemStatus = Literal["applied", "unchanged", "resend", "rejected"]


class ItemResult(BaseModel):
    session_id: str
    status: ItemStatus
    reason: str | None = None
    errors: list[dict[str, Any]] = Field(default_factory=list)


class PushResponse(BaseModel):
    ok: bool = True
    protocol: int = PROTOCOL_VERSION
    request_id: str
    database_id: str
    results: list[ItemResult]
