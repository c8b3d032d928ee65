"""Response models of cost in dollars (analytics/cost)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from viewer_fn.models_analytics import Ranged
from viewer_fn.models_base import ApiModel, Ok


class PriceTableInfo(ApiModel):
    source: Literal["genai-prices"]
    version: str = Field(description="the pinned genai-prices release whose bundled table prices everything")
    as_of: dt.date | None = Field(
        description="the newest date the table's maintainers recorded checking a price"
    )


class CostRow(ApiModel):
    usd: float | None = Field(
        description="dollars for the priced messages; null when every message here is of an unpriced model "
        "(never 0 for unknown models)"
    )
    messages: int = Field(description="API responses with usage, each counted once")
    unpriced_messages: int = Field(description="of `messages`, those of a model the table has no price for")
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int


class ModelCost(CostRow):
    model: str = Field(description="as the agent logged it; '' when it did not say")
    priced: bool


class DayCost(CostRow):
    date: dt.date | None = Field(description="local day; null for messages without a timestamp")


class NameCost(CostRow):
    name: str


class SessionCost(CostRow):
    id: str = Field(
        description="`<machine>:<session id>` of the root session (its children's spend included)"
    )
    project: str
    first_message: str | None


class UnpricedModel(ApiModel):
    model: str
    messages: int
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int


class Cost(Ranged):
    currency: Literal["USD"] = "USD"
    prices: PriceTableInfo
    totals: CostRow
    by_model: list[ModelCost]
    by_day: list[DayCost]
    by_project: list[NameCost]
    by_machine: list[NameCost]
    top_sessions: list[SessionCost] = Field(description="the 20 most expensive sessions")
    unpriced: list[UnpricedModel] = Field(description="models with usage but no price, with their tokens")


class SessionCostDetail(Ok):
    """One session's cost (``GET /sessions/{id}/cost``): the session header's figure."""

    id: str = Field(description="`<machine>:<session id>`")
    currency: Literal["USD"] = "USD"
    prices: PriceTableInfo
    total: CostRow = Field(description="the session and its subagent and fork children (theirs too)")
    own: CostRow = Field(description="the session's own messages only")
    children: int = Field(description="child sessions counted in `total`")
    by_model: list[ModelCost] = Field(description="`total` per model, most dollars first")
    unpriced: list[UnpricedModel] = Field(description="models with usage but no price, with their tokens")
