"""A pushed session: its metadata, its messages, their tool calls and token usage.

Messages, tool calls and usage are TypedDicts, not models: a push carries thousands
of them, and building model instances was ~14 of the ~22 ms it took to validate a
3,000-message request (bench/ingest_bench.py); dicts validate in ~10. Absent optional
keys take the defaults documented here and in docs/protocol.md (the server's store
applies them). Unknown keys are refused everywhere, so a body cannot smuggle in,
say, a ``machine``.

av-client builds these shapes from its parsed ``client.model`` dataclasses, whose
field names are the keys below (tests/contract checks both sides).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
    with_config,
)
from typing_extensions import TypedDict

from avprotocol.identifiers import check_identifier
from avprotocol.limits import (
    MAX_AGENT_CHARS,
    MAX_CATEGORY_CHARS,
    MAX_ID_CHARS,
    MAX_INT4,
    MAX_MESSAGES_PER_SESSION_PART,
    MAX_MODEL_CHARS,
    MAX_NAME_CHARS,
    MAX_PATH_CHARS,
    MAX_TIME_YEAR,
    MAX_TOOL_CALLS_PER_MESSAGE,
    MIN_TIME_YEAR,
)

SHA256_HEX = r"^[0-9a-f]{64}$"
Role = Literal["user", "assistant", "system"]
Relationship = Literal["", "subagent", "fork", "continuation"]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00: before year 1 in UTC
        raise ValueError("the time is out of range once converted to UTC") from None


MIN_TIME = datetime(MIN_TIME_YEAR, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(MAX_TIME_YEAR, 1, 1, tzinfo=UTC)


def sane_time(value: datetime | None) -> datetime | None:
    """``value`` if it lies in the accepted range (avprotocol.limits), else ValueError."""
    utc = _utc(value)
    if utc is not None and not MIN_TIME <= utc < MAX_TIME:
        raise ValueError(f"is outside {MIN_TIME_YEAR}-01-01 to {MAX_TIME_YEAR}-01-01 UTC")
    return value


_Time = Annotated[datetime | None, AfterValidator(sane_time)]
_Identifier = AfterValidator(check_identifier)


class Strict(BaseModel):
    """A request body or part of one: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


_FORBID = ConfigDict(extra="forbid")


def _default(value: object) -> Any:
    """Documents the default an absent key takes (applied by the store), in the OpenAPI schema."""
    return Field(json_schema_extra={"default": value})  # type: ignore[dict-item]


_Count = Annotated[int, Field(ge=0, le=MAX_INT4), _default(0)]
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
    tool_name: Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS)]
    tool_use_id: NotRequired[Annotated[str, Field(max_length=MAX_ID_CHARS), _default("")]]
    category: NotRequired[Annotated[str, Field(max_length=MAX_CATEGORY_CHARS), _default("other")]]
    input_json: NotRequired[Annotated[str | None, _default(None)]]
    skill_name: NotRequired[Annotated[str | None, Field(max_length=MAX_ID_CHARS), _default(None)]]
    result_content: NotRequired[Annotated[str | None, _default(None)]]
    result_is_error: NotRequired[_Flag]
    subagent_session_id: NotRequired[Annotated[str | None, Field(max_length=MAX_ID_CHARS), _default(None)]]


@with_config(_FORBID)
class MessageIn(TypedDict):
    ordinal: Annotated[int, Field(ge=0, le=MAX_INT4)]
    role: Role
    content: str
    chain_hash: Annotated[str, Field(pattern=SHA256_HEX)]
    timestamp: NotRequired[Annotated[_Time, _default(None)]]  # without an offset: UTC
    blocks: NotRequired[Annotated[list[dict[str, Any]] | None, _default(None)]]
    model: NotRequired[Annotated[str | None, Field(max_length=MAX_MODEL_CHARS), _default(None)]]
    message_key: NotRequired[Annotated[str | None, Field(max_length=MAX_ID_CHARS), _default(None)]]
    has_thinking: NotRequired[_Flag]
    has_tool_use: NotRequired[_Flag]
    is_system: NotRequired[_Flag]
    usage: NotRequired[Annotated[UsageIn | None, _default(None)]]
    tool_calls: NotRequired[
        Annotated[list[ToolCallIn], Field(max_length=MAX_TOOL_CALLS_PER_MESSAGE), _default([])]
    ]


class BaseIn(Strict):
    """The message a part builds on: ordinal ``ordinal - 1`` must have ``chain_hash``."""

    ordinal: int = Field(ge=1, le=MAX_INT4)
    chain_hash: str = Field(pattern=SHA256_HEX)


class SessionIn(Strict):
    """One push item: a session's metadata and a consecutive run of its messages (docs/protocol.md)."""

    session_id: Annotated[str, _Identifier] = Field(min_length=1, max_length=MAX_ID_CHARS)
    agent: str = Field(min_length=1, max_length=MAX_AGENT_CHARS, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    project: str = Field(default="", max_length=MAX_NAME_CHARS)
    cwd: str | None = Field(default=None, max_length=MAX_PATH_CHARS)
    git_branch: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    source_path: str | None = Field(default=None, max_length=MAX_PATH_CHARS)
    first_message: str | None = None
    display_name: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    created_at: _Time = None
    started_at: _Time = None
    ended_at: _Time = None
    parent_session_id: Annotated[str | None, _Identifier] = Field(default=None, max_length=MAX_ID_CHARS)
    relationship: Relationship = ""
    parent_tool_use_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    fingerprint: str = Field(pattern=SHA256_HEX)
    base: BaseIn | None = None
    complete: bool = True
    # push --full: write this item even when the server holds the same fingerprint (a re-send
    # that repairs a server copy the fingerprint no longer describes). Sent only when true.
    replace: bool = False
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
