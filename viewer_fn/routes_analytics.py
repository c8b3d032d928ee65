"""``/api/v1/analytics/*``: agentsview's dashboard endpoints plus token usage.

Each route takes the common filter (:func:`analytics_filter`: from/to, timezone,
machine, project, agent, dow, hour, min_user_messages, include_one_shot,
active_since), loads the filtered root sessions once, and hands them to one
function in analytics.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import psycopg
from fastapi import Depends, Query

from avcore.routes import RouteTable
from avcore.web import BadRequest
from viewer_fn import analytics as a
from viewer_fn import cost
from viewer_fn import queries_analytics as qa
from viewer_fn.deps import Conn
from viewer_fn.filters import SessionFilter
from viewer_fn.models_analytics import (
    Activity,
    Heatmap,
    HourOfWeek,
    Projects,
    SessionShape,
    Summary,
    Tokens,
    Tools,
    TopSessions,
    Velocity,
)
from viewer_fn.models_cost import Cost
from viewer_fn.params import CommaList, Day, Flag, Instant, Zone
from viewer_fn.pricing import price_table

DEFAULT_DAYS = 30  # agentsview's default range: the last 30 days
MAX_RANGE_DAYS = 3660  # ten years; a wider range is a typo
MAX_HEATMAP_DAYS = 366  # the calendar shows at most a year

router = RouteTable(prefix="/analytics", tags=["analytics"])


def analytics_filter(
    day_from: Annotated[
        Day, Query(alias="from", description="first local day; default: 29 days before `to`")
    ] = None,
    day_to: Annotated[
        Day, Query(alias="to", description="last local day; default: today in `timezone`")
    ] = None,
    timezone: Annotated[Zone, Query(description="IANA timezone of the days and hours")] = "UTC",
    machine: Annotated[CommaList, Query(description="only these machines (comma list)")] = None,
    project: Annotated[CommaList, Query(description="only these projects (comma list)")] = None,
    agent: Annotated[CommaList, Query(description="only these agents (comma list)")] = None,
    dow: Annotated[
        int | None, Query(ge=0, le=6, description="local weekday of the start, 0 = Monday")
    ] = None,
    hour: Annotated[int | None, Query(ge=0, le=23, description="local hour of the start")] = None,
    min_user_messages: Annotated[int | None, Query(ge=0)] = None,
    include_one_shot: Annotated[
        Flag, Query(description="also sessions with at most one user message")
    ] = False,
    active_since: Annotated[Instant, Query(description="last activity at or after this instant")] = None,
) -> qa.AnalyticsFilter:
    today = datetime.now(ZoneInfo(timezone)).date()
    day_to = day_to or today
    day_from = day_from or day_to - timedelta(days=DEFAULT_DAYS - 1)
    if day_from > day_to:
        raise BadRequest(f"from: {day_from} is after to {day_to}")
    if (day_to - day_from).days > MAX_RANGE_DAYS:
        raise BadRequest(f"from: the range may span at most {MAX_RANGE_DAYS} days")
    sessions = SessionFilter(
        project=project,
        machine=machine,
        agent=agent,
        active_since=active_since,
        min_user_messages=min_user_messages,
        include_one_shot=include_one_shot,
    )
    return qa.AnalyticsFilter(day_from, day_to, timezone, sessions, dow=dow, hour=hour)


Filter = Annotated[qa.AnalyticsFilter, Depends(analytics_filter)]


def _load(f: qa.AnalyticsFilter, conn: psycopg.Connection) -> list[dict[str, Any]]:
    return qa.filtered_sessions(conn, f)


def _range(f: qa.AnalyticsFilter) -> dict[str, Any]:
    return {"from": f.day_from, "to": f.day_to, "timezone": f.tz}


@router.get("/summary")
def analytics_summary(f: Filter, conn: Conn) -> Summary:
    return Summary.model_validate({**_range(f), **a.summary(_load(f, conn))})


@router.get("/activity")
def analytics_activity(
    f: Filter, conn: Conn, granularity: Literal["day", "week", "month"] = "day"
) -> Activity:
    sessions = _load(f, conn)
    counts = qa.message_counts(conn, sessions)
    return Activity.model_validate(
        {**_range(f), "granularity": granularity, "series": a.activity(sessions, counts, granularity)}
    )


@router.get("/heatmap")
def analytics_heatmap(f: Filter, conn: Conn, metric: Literal["messages", "sessions"] = "messages") -> Heatmap:
    start = max(f.day_from, f.day_to - timedelta(days=MAX_HEATMAP_DAYS - 1))
    return Heatmap.model_validate({**_range(f), **a.heatmap(_load(f, conn), metric, start, f.day_to)})


@router.get("/projects")
def analytics_projects(f: Filter, conn: Conn) -> Projects:
    return Projects.model_validate({**_range(f), "projects": a.projects(_load(f, conn))})


@router.get("/hour-of-week")
def analytics_hour_of_week(f: Filter, conn: Conn) -> HourOfWeek:
    """Messages by local weekday (0 = Monday) and hour of their own timestamps; all 168 cells."""
    found = qa.hour_of_week(conn, _load(f, conn), f.tz)
    cells = [
        {"day_of_week": d, "hour": h, "messages": found.get((d, h), 0)} for d in range(7) for h in range(24)
    ]
    return HourOfWeek.model_validate({**_range(f), "cells": cells})


@router.get("/sessions")
def analytics_session_shape(f: Filter, conn: Conn) -> SessionShape:
    sessions = _load(f, conn)
    counts = qa.message_counts(conn, sessions)
    return SessionShape.model_validate({**_range(f), **a.session_shape(sessions, counts)})


@router.get("/velocity")
def analytics_velocity(f: Filter, conn: Conn) -> Velocity:
    sessions = _load(f, conn)
    groups = qa.velocity_groups(conn, sessions, a.complexity(sessions))
    return Velocity.model_validate({**_range(f), **a.velocity(groups)})


@router.get("/tools")
def analytics_tools(f: Filter, conn: Conn) -> Tools:
    sessions = _load(f, conn)
    return Tools.model_validate({**_range(f), **a.tools(qa.tool_groups(conn, sessions, a.weeks(sessions)))})


@router.get("/top-sessions")
def analytics_top_sessions(
    f: Filter, conn: Conn, metric: Literal["messages", "duration"] = "messages"
) -> TopSessions:
    sessions = a.top_sessions(_load(f, conn), metric)
    return TopSessions.model_validate({**_range(f), "metric": metric, "sessions": sessions})


@router.get("/tokens")
def analytics_tokens(f: Filter, conn: Conn) -> Tokens:
    """Input, output and cache tokens, per model and per local day, each message counted once."""
    return Tokens.model_validate(
        {**_range(f), **a.tokens(qa.token_rows(conn, qa.filtered_sessions(conn, f), f.tz))}
    )


@router.get("/cost")
def analytics_cost(f: Filter, conn: Conn) -> Cost:
    """Dollars per model, local day, project, machine and session, priced by genai-prices' bundled
    table; a session's subagent and fork children count toward it. Unknown models are unpriced,
    never $0."""
    roots = qa.filtered_sessions(conn, f)
    table = price_table()
    tree, rows = cost.usage(conn, table, [s["pk"] for s in roots], tz=f.tz)
    summary = cost.summarize(
        table, rows, root_of={t["pk"]: t["root"] for t in tree}, sessions={s["pk"]: s for s in roots}
    )
    return Cost.model_validate({**_range(f), "prices": cost.prices(table), **summary})
