"""Response models of global search."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from viewer_fn.models import Page, Role
from viewer_fn.models_base import ApiModel


class SearchHit(ApiModel):
    session_id: str = Field(description="`<machine>:<session id>` of the session holding the hit")
    project: str
    machine: str
    agent: str
    first_message: str | None = Field(
        description="the session's first user message (its title), as in Session"
    )
    display_name: str | None = Field(
        description="the session's name given by the agent or user, as in Session"
    )
    ordinal: int = Field(description="the message's ordinal: open the session at it")
    role: Role
    timestamp: datetime | None
    rank: float = Field(
        description="ts_rank_cd of the best matching chunk of the text, the same before and after indexing"
    )
    source: Literal["message", "tool_output"]
    tool_name: str | None
    snippet: str = Field(
        description="~260 characters around the first match, HTML-escaped, matches in <mark>: "
        "safe to insert as HTML, no other markup"
    )


class SearchPage(Page[SearchHit]):
    query: str
    mode: Literal["words", "substring"]
    sort: Literal["rank", "recent"]
    window: int = Field(description="ranking and paging apply to the newest `window` matching texts")
    truncated: bool = Field(
        description="more texts matched than `window`: the older ones are not ranked or paged"
    )
    looked_back_to: datetime | None = Field(
        description="when truncated: the time of the oldest text in the window (narrow the search with "
        "filters to reach older ones); null otherwise"
    )
