"""The viewer's response models: the JSON every route answers, declared once.

These classes are the source of the OpenAPI document (docs/openapi-viewer.json)
and, through it, of the web page's TypeScript types; routes build them, so what
is documented is what is sent. Every field is required in the document (a
nullable field is ``T | null``, never absent), which is what the page's types
want. Lists are one envelope (:class:`Page`); the cursor scheme is
viewer_fn/paging.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import Field

from viewer_fn.models_base import ApiModel, Ok

RowT = TypeVar("RowT")
Relationship = Literal["", "subagent", "fork", "continuation"]
Role = Literal["user", "assistant", "system"]


class Page(Ok, Generic[RowT]):
    """One page of a list; ``next`` is null on the last page."""

    rows: list[RowT]
    next: str | None = Field(description="opaque token: send it as `cursor` for the next page")
    next_url: str | None = Field(description="this request's URL with `cursor` set to `next`")


class Session(ApiModel):
    id: str = Field(description="`<machine>:<session id>`: the id in every /sessions/{id} route")
    session_id: str = Field(description="the agent's own session id")
    machine: str
    agent: str
    project: str
    cwd: str | None
    git_branch: str | None
    first_message: str | None
    display_name: str | None
    created_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    last_activity: datetime | None
    message_count: int
    user_message_count: int
    tool_call_count: int
    parent_session_id: str | None = Field(description="the parent's agent session id (same machine)")
    relationship: Relationship = Field(description="how this session relates to its parent; '' for a root")
    parent_tool_use_id: str | None
    models: list[str]
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    peak_context_tokens: int
    deleted_at: datetime | None
    gone_locally_at: datetime | None = Field(
        description="when its machine reported the session's log gone (the agent cleaned it up): "
        "the session is kept here, complete; null while the log is still on its machine"
    )
    updated_at: datetime
    version: int = Field(description="the session's change sequence: it moves on every write to it")


class ToolCall(ApiModel):
    call_index: int
    tool_use_id: str
    tool_name: str
    category: str
    input_json: str | None
    skill_name: str | None
    result_content: str | None
    result_length: int | None = Field(description="the output's length before the agent cut it, if it did")
    result_truncated: bool = Field(description="the agent (not the viewer) cut this output")
    result_is_error: bool
    subagent_session_id: str | None


CutPart = Literal["content", "tool_input", "tool_result", "block", "blocks"]


class Cut(ApiModel):
    """A text this answer carries only the start of; ``url`` fetches the rest."""

    part: CutPart = Field(
        description="content: the message text; tool_input / tool_result: of the call `call_index`; "
        "block: the string at `pointer` in `blocks`; blocks: all of `blocks` (sent as null), as JSON text"
    )
    call_index: int | None
    pointer: str | None = Field(description="RFC 6901 JSON pointer into `blocks`, e.g. /0/text")
    shown_chars: int = Field(description="characters included here (the text starts with them)")
    total_chars: int = Field(description="the whole text's length in characters (Unicode code points)")
    url: str = Field(description="the ranged text route, from offset `shown_chars` on")


class Message(ApiModel):
    ordinal: int
    role: Role
    content: str
    blocks: list[dict[str, Any]] | None = Field(
        description="structured blocks as the agent wrote them ({type: text|thinking|tool_use, ...}); "
        "free-form, hostile input: render as text"
    )
    timestamp: datetime | None
    model: str | None
    message_key: str | None
    has_thinking: bool
    has_tool_use: bool
    is_system: bool
    content_length: int
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    tool_calls: list[ToolCall]
    cuts: list[Cut] = Field(description="texts cut to keep the page bounded; empty when nothing was")


class MinimapEntry(ApiModel):
    ordinal: int
    role: Role
    content_length: int
    has_thinking: bool
    has_tool_use: bool


class SessionPage(Page[Session]):
    total: int | None = Field(description="sessions matching the filters (counted on the first page)")


class ChildrenPage(Page[Session]):
    pass


class MessagePage(Page[Message]):
    pass


class MinimapPage(Page[MinimapEntry]):
    pass


class OrdinalPage(Page[int]):
    """Ordinals of the messages that match, ascending."""


class TextRange(Ok):
    """Characters ``offset`` … ``offset + len(text)`` of one text of a message."""

    part: CutPart
    call_index: int | None
    pointer: str | None
    offset: int
    text: str
    total_chars: int
    next_offset: int | None = Field(description="where the rest starts; null when `text` reaches the end")
    next_url: str | None


class SessionDetail(Ok):
    session: Session


class SessionVersion(Ok):
    id: str
    version: int
