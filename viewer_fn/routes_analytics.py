"""``/api/v1/analytics/*``: agentsview's dashboard endpoints plus token usage.

Each route parses the common filter (from/to, timezone, machine, project, agent,
dow, hour, min_user_messages, include_one_shot, active_since), loads the filtered
root sessions once, and hands them to one function in analytics.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from fastapi import APIRouter, Request

from avcore.web import BadRequest
from viewer_fn import analytics as a
from viewer_fn import params as p
from viewer_fn import queries_analytics as qa
from viewer_fn.deps import Conn, CurrentViewer
from viewer_fn.filters import SessionFilter

DEFAULT_DAYS = 30  # agentsview's default range: the last 30 days
MAX_RANGE_DAYS = 3660  # ten years; a wider range is a typo
MAX_HEATMAP_DAYS = 366  # the calendar shows at most a year

router = APIRouter(prefix="/analytics")


def parse_filter(request: Request) -> qa.AnalyticsFilter:
    q = request.query_params
    tz = p.zone("timezone", q.get("timezone"))
    today = datetime.now(ZoneInfo(tz)).date()
    day_to = p.day("to", q.get("to")) or today
    day_from = p.day("from", q.get("from")) or day_to - timedelta(days=DEFAULT_DAYS - 1)
    if day_from > day_to:
        raise BadRequest(f"from: {day_from} is after to {day_to}")
    if (day_to - day_from).days > MAX_RANGE_DAYS:
        raise BadRequest(f"from: the range may span at most {MAX_RANGE_DAYS} days")
    sessions = SessionFilter(
        project=p.csv("project", q.get("project")),
        machine=p.csv("machine", q.get("machine")),
        agent=p.csv("agent", q.get("agent")),
        active_since=p.instant("active_since", q.get("active_since")),
        min_user_messages=p.integer("min_user_messages", q.get("min_user_messages"), lo=0),
        include_one_shot=p.flag("include_one_shot", q.get("include_one_shot")),
    )
    return qa.AnalyticsFilter(
        day_from,
        day_to,
        tz,
        sessions,
        dow=p.integer("dow", q.get("dow"), lo=0, hi=6),
        hour=p.integer("hour", q.get("hour"), lo=0, hi=23),
    )


def _load(request: Request, conn: psycopg.Connection) -> tuple[qa.AnalyticsFilter, list[dict[str, Any]]]:
    f = parse_filter(request)
    return f, qa.filtered_sessions(conn, f)


def _range(f: qa.AnalyticsFilter) -> dict[str, Any]:
    return {"from": f.day_from.isoformat(), "to": f.day_to.isoformat(), "timezone": f.tz}


@router.get("/summary")
def summary(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    f, sessions = _load(request, conn)
    return {"ok": True, **_range(f), **a.summary(sessions)}


@router.get("/activity")
def activity(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    granularity = p.choice(
        "granularity", request.query_params.get("granularity"), ("day", "week", "month"), "day"
    )
    f, sessions = _load(request, conn)
    counts = qa.message_counts(conn, sessions)
    return {
        "ok": True,
        **_range(f),
        "granularity": granularity,
        "series": a.activity(sessions, counts, granularity),
    }


@router.get("/heatmap")
def heatmap(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    metric = p.choice("metric", request.query_params.get("metric"), ("messages", "sessions"), "messages")
    f, sessions = _load(request, conn)
    start = max(f.day_from, f.day_to - timedelta(days=MAX_HEATMAP_DAYS - 1))
    return {"ok": True, **_range(f), **a.heatmap(sessions, metric, start, f.day_to)}


@router.get("/projects")
def projects(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    f, sessions = _load(request, conn)
    return {"ok": True, **_range(f), "projects": a.projects(sessions)}


@router.get("/hour-of-week")
def hour_of_week(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    """Messages by local weekday (0 = Monday) and hour of their own timestamps; all 168 cells."""
    f, sessions = _load(request, conn)
    found = qa.hour_of_week(conn, sessions, f.tz)
    cells = [
        {"day_of_week": d, "hour": h, "messages": found.get((d, h), 0)} for d in range(7) for h in range(24)
    ]
    return {"ok": True, **_range(f), "cells": cells}


@router.get("/sessions")
def session_shape(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    f, sessions = _load(request, conn)
    counts = qa.message_counts(conn, sessions)
    return {"ok": True, **_range(f), **a.session_shape(sessions, counts)}


@router.get("/velocity")
def velocity(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    f, sessions = _load(request, conn)
    groups = qa.velocity_groups(conn, sessions, a.complexity(sessions))
    return {"ok": True, **_range(f), **a.velocity(groups)}


@router.get("/tools")
def tools(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    f, sessions = _load(request, conn)
    return {"ok": True, **_range(f), **a.tools(sessions, qa.tool_call_rows(conn, sessions))}


@router.get("/top-sessions")
def top_sessions(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    metric = p.choice("metric", request.query_params.get("metric"), ("messages", "duration"), "messages")
    f, sessions = _load(request, conn)
    return {"ok": True, **_range(f), "metric": metric, "sessions": a.top_sessions(sessions, metric)}


@router.get("/tokens")
def tokens(request: Request, who: CurrentViewer, conn: Conn) -> dict[str, Any]:
    """Input, output and cache tokens, per model and per local day, each message counted once."""
    f, sessions = _load(request, conn)
    return {"ok": True, **_range(f), **a.tokens(qa.token_rows(conn, sessions, f.tz))}
