"""Protocol v1 request and response shapes (see docs/protocol.md).

Field limits are part of the contract: over-long free text is cut with a marker
by the store (never rejected whole), while structurally wrong input is a 400
that names the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PROTOCOL_VERSION = 1
MAX_SESSIONS_PER_PUSH = 500
MAX_MESSAGES_PER_SESSION_PART = 50_000
MAX_TOOL_CALLS_PER_MESSAGE = 1_000
SHA256_HEX = r"^[0-9a-f]{64}$"


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class UsageIn(Strict):
    input_tokens: int = Field(default=0, ge=0, le=2**31 - 1)
    output_tokens: int = Field(default=0, ge=0, le=2**31 - 1)
    cache_creation_tokens: int = Field(default=0, ge=0, le=2**31 - 1)
    cache_read_tokens: int = Field(default=0, ge=0, le=2**31 - 1)


class ToolCallIn(Strict):
    call_index: int = Field(ge=0, le=MAX_TOOL_CALLS_PER_MESSAGE)
    tool_name: str = Field(min_length=1, max_length=512)
    tool_use_id: str = Field(default="", max_length=512)
    category: str = Field(default="other", max_length=64)
    input_json: str | None = None
    skill_name: str | None = Field(default=None, max_length=512)
    result_content: str | None = None
    result_is_error: bool = False
    subagent_session_id: str | None = Field(default=None, max_length=512)


class MessageIn(Strict):
    ordinal: int = Field(ge=0, le=2**31 - 1)
    role: Literal["user", "assistant", "system"]
    content: str
    timestamp: datetime | None = None
    blocks: list[dict[str, Any]] | None = None
    model: str | None = Field(default=None, max_length=256)
    message_key: str | None = Field(default=None, max_length=512)
    has_thinking: bool = False
    has_tool_use: bool = False
    is_system: bool = False
    usage: UsageIn | None = None
    chain_hash: str = Field(pattern=SHA256_HEX)
    tool_calls: list[ToolCallIn] = Field(default_factory=list, max_length=MAX_TOOL_CALLS_PER_MESSAGE)

    _utc_ts = field_validator("timestamp")(classmethod(lambda cls, v: _utc(v)))


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
    messages: list[MessageIn] = Field(default_factory=list, max_length=MAX_MESSAGES_PER_SESSION_PART)

    _utc_times = field_validator("created_at", "started_at", "ended_at")(classmethod(lambda cls, v: _utc(v)))

    @model_validator(mode="after")
    def _ordinals_increase(self) -> SessionIn:
        previous = -1
        for index, msg in enumerate(self.messages):
            if msg.ordinal <= previous:
                raise ValueError(f"messages[{index}].ordinal {msg.ordinal} does not increase (previous {previous})")
            previous = msg.ordinal
            seen = set()
            for call in msg.tool_calls:
                if call.call_index in seen:
                    raise ValueError(f"messages[{index}] repeats tool call_index {call.call_index}")
                seen.add(call.call_index)
        return self


class PushRequest(Strict):
    protocol: Literal[1]
    request_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    sessions: list[dict[str, Any]] = Field(max_length=MAX_SESSIONS_PER_PUSH)


ItemStatus = Literal["applied", "unchanged", "rejected"]


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
