"""Response models of the analytics routes (definitions: analytics.py, docs/api.md)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, Field

from viewer_fn.models_base import ApiModel, Ok


class Ranged(Ok):
    """Every analytics answer echoes the range and zone it was computed for."""

    model_config = ConfigDict(populate_by_name=True, json_schema_serialization_defaults_required=True)
    day_from: dt.date = Field(alias="from", description="first local day (inclusive)")
    to: dt.date = Field(description="last local day (inclusive)")
    timezone: str


class AgentTotals(ApiModel):
    sessions: int
    messages: int


class Summary(Ranged):
    total_sessions: int
    total_messages: int
    active_projects: int
    active_days: int
    avg_messages: float
    median_messages: float
    p90_messages: float
    most_active_project: str | None = Field(description="by messages")
    concentration: float = Field(description="share of messages in the top 3 projects")
    agents: dict[str, AgentTotals]
    machines: dict[str, AgentTotals] = Field(description="sessions and messages per machine")


class ActivityPoint(ApiModel):
    date: dt.date = Field(description="the period's first day (weeks start on Monday)")
    sessions: int
    messages: int
    user_messages: int
    assistant_messages: int
    tool_calls: int
    thinking_messages: int
    by_agent: dict[str, int] = Field(description="messages per agent")


class Activity(Ranged):
    granularity: Literal["day", "week", "month"]
    series: list[ActivityPoint]


class HeatmapDay(ApiModel):
    date: dt.date
    value: int
    level: int = Field(ge=0, le=4)


class HeatmapLevels(ApiModel):
    l1: float
    l2: float
    l3: float
    l4: float


class Heatmap(Ranged):
    metric: Literal["messages", "sessions"]
    entries: list[HeatmapDay] = Field(description="every day from entries_from to `to` (at most 366)")
    levels: HeatmapLevels = Field(description="nearest-rank quartiles of the non-zero values")
    entries_from: dt.date


class ProjectStats(ApiModel):
    name: str
    sessions: int
    messages: int
    first_session: dt.datetime
    last_session: dt.datetime
    avg_messages: float
    median_messages: float
    agents: dict[str, int] = Field(description="sessions per agent")
    daily_trend: float = Field(description="messages per active day")


class Projects(Ranged):
    projects: list[ProjectStats]


class HourCell(ApiModel):
    day_of_week: int = Field(ge=0, le=6, description="0 = Monday")
    hour: int = Field(ge=0, le=23)
    messages: int


class HourOfWeek(Ranged):
    cells: list[HourCell] = Field(description="all 168 cells, by each message's local timestamp")


class Bucket(ApiModel):
    label: str
    count: int


class SessionShape(Ranged):
    count: int
    length_distribution: list[Bucket]
    duration_distribution: list[Bucket]
    autonomy_distribution: list[Bucket]


class Percentiles(ApiModel):
    p50: float
    p90: float


class VelocityOverview(ApiModel):
    turn_cycle_sec: Percentiles
    first_response_sec: Percentiles
    msgs_per_active_min: float
    chars_per_active_min: float
    tool_calls_per_active_min: float


class VelocityGroup(ApiModel):
    label: str
    sessions: int
    overview: VelocityOverview


class Velocity(Ranged):
    overall: VelocityOverview
    by_agent: list[VelocityGroup]
    by_complexity: list[VelocityGroup]


class CategoryCount(ApiModel):
    category: str
    count: int
    pct: float


class AgentTools(ApiModel):
    agent: str
    total: int
    categories: dict[str, int]


class ToolTrend(ApiModel):
    date: dt.date = Field(description="the week's Monday")
    by_category: dict[str, int]


class Tools(Ranged):
    total_calls: int
    by_category: list[CategoryCount]
    by_agent: list[AgentTools]
    trend: list[ToolTrend]


class TopSession(ApiModel):
    id: str
    project: str
    first_message: str | None
    message_count: int
    duration_min: float | None


class TopSessions(Ranged):
    metric: Literal["messages", "duration"]
    sessions: list[TopSession]


class TokenCounts(ApiModel):
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    messages: int = Field(description="messages with usage, each counted once")


class ModelTokens(TokenCounts):
    model: str = Field(description="'' when the agent did not say")


class DayTokens(TokenCounts):
    date: dt.date | None = Field(description="local day; null for messages without a timestamp")


class Tokens(Ranged):
    totals: TokenCounts
    by_model: list[ModelTokens]
    by_day: list[DayTokens]
