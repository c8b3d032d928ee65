"""Analytics computations over the filtered sessions (the definitions are in docs/api.md, "Analytics").

Pure functions over rows from queries_analytics.py, so each definition is one
readable function and the tests can check it against hand-computed values.
Percentiles are nearest-rank (``p90`` of 10 values is the 9th smallest); the
median is the middle value, or the mean of the two middle values.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from viewer_fn.queries_analytics import duration_min

LENGTH_BUCKETS = [("1-5", 5), ("6-15", 15), ("16-30", 30), ("31-60", 60), ("61-120", 120), ("121+", math.inf)]
DURATION_BUCKETS = [
    ("<5m", 5),
    ("5-15m", 15),
    ("15-30m", 30),
    ("30-60m", 60),
    ("1-2h", 120),
    ("2h+", math.inf),
]
AUTONOMY_BUCKETS = [("<0.5", 0.5), ("0.5-1", 1), ("1-2", 2), ("2-5", 5), ("5-10", 10), ("10+", math.inf)]
COMPLEXITY_BUCKETS = [("1-15", 15), ("16-60", 60), ("61+", math.inf)]


def nearest_rank(values: Sequence[float], pct: float) -> float:
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct * len(ordered)) - 1)]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def bucket(value: float, buckets: list[tuple[str, float]]) -> str:
    """The first bucket whose upper bound (inclusive) holds ``value``."""
    return next(label for label, upper in buckets if value <= upper)


def distribution(values: Sequence[float], buckets: list[tuple[str, float]]) -> list[dict[str, Any]]:
    counts = Counter(bucket(v, buckets) for v in values)
    return [{"label": label, "count": counts.get(label, 0)} for label, _ in buckets]


def summary(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    counts = [s["message_count"] for s in sessions]
    by_project: Counter[str] = Counter()
    sessions_by_project: Counter[str] = Counter()
    agents: dict[str, dict[str, int]] = defaultdict(lambda: {"sessions": 0, "messages": 0})
    machines: dict[str, dict[str, int]] = defaultdict(lambda: {"sessions": 0, "messages": 0})
    for s in sessions:
        by_project[s["project"]] += s["message_count"]
        sessions_by_project[s["project"]] += 1
        for totals in (agents[s["agent"]], machines[s["machine"]]):
            totals["sessions"] += 1
            totals["messages"] += s["message_count"]
    total = sum(counts)
    top3 = sum(v for _, v in by_project.most_common(3))
    most = min(by_project, key=lambda p: (-by_project[p], p)) if by_project else None
    return {
        "total_sessions": len(sessions),
        "total_messages": total,
        "active_projects": len(by_project),
        "active_days": len({s["local_day"] for s in sessions}),
        "avg_messages": round(total / len(sessions), 1) if sessions else 0,
        "median_messages": median(counts),
        "p90_messages": nearest_rank(counts, 0.9),
        "most_active_project": most,
        "concentration": round(top3 / total, 3) if total else 0,
        "agents": dict(agents),
        "machines": dict(machines),
    }


def period_start(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def activity(
    sessions: list[dict[str, Any]], counts: dict[int, dict[str, Any]], granularity: str
) -> list[dict[str, Any]]:
    series: dict[date, dict[str, Any]] = {}
    for s in sessions:
        key = period_start(s["local_day"], granularity)
        row = series.setdefault(
            key,
            {
                "date": key.isoformat(),
                "sessions": 0,
                "messages": 0,
                "user_messages": 0,
                "assistant_messages": 0,
                "tool_calls": 0,
                "thinking_messages": 0,
                "by_agent": {},
            },
        )
        c = counts.get(s["pk"], {})
        row["sessions"] += 1
        row["messages"] += s["message_count"]
        row["user_messages"] += s["user_message_count"]
        row["assistant_messages"] += c.get("assistant_messages", 0)
        row["tool_calls"] += s["tool_call_count"]
        row["thinking_messages"] += c.get("thinking_messages", 0)
        row["by_agent"][s["agent"]] = row["by_agent"].get(s["agent"], 0) + s["message_count"]
    return [series[k] for k in sorted(series)]


def heatmap(sessions: list[dict[str, Any]], metric: str, day_from: date, day_to: date) -> dict[str, Any]:
    values: Counter[date] = Counter()
    for s in sessions:
        values[s["local_day"]] += s["message_count"] if metric == "messages" else 1
    nonzero = sorted(v for v in values.values() if v > 0)
    q = [nearest_rank(nonzero, x) for x in (0.25, 0.5, 0.75, 1.0)] if nonzero else [0, 0, 0, 0]

    def level(v: int) -> int:
        return 0 if v <= 0 else next((i + 1 for i, bound in enumerate(q[:3]) if v <= bound), 4)

    entries, day = [], day_from
    while day <= day_to:
        entries.append(
            {"date": day.isoformat(), "value": values.get(day, 0), "level": level(values.get(day, 0))}
        )
        day += timedelta(days=1)
    return {
        "metric": metric,
        "entries": entries,
        "levels": {f"l{i + 1}": q[i] for i in range(4)},
        "entries_from": day_from.isoformat(),
    }


def projects(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in sessions:
        groups[s["project"]].append(s)
    out = []
    for name, rows in groups.items():
        counts = [r["message_count"] for r in rows]
        days = {r["local_day"] for r in rows}
        out.append(
            {
                "name": name,
                "sessions": len(rows),
                "messages": sum(counts),
                "first_session": min(r["started"] for r in rows),
                "last_session": max(r["started"] for r in rows),
                "avg_messages": round(sum(counts) / len(rows), 1),
                "median_messages": median(counts),
                "agents": dict(Counter(r["agent"] for r in rows)),
                "daily_trend": round(sum(counts) / len(days), 1),
            }
        )
    return sorted(out, key=lambda p: (-p["messages"], p["name"]))


def session_shape(sessions: list[dict[str, Any]], counts: dict[int, dict[str, Any]]) -> dict[str, Any]:
    durations = [d for s in sessions if (d := duration_min(s)) is not None]
    autonomy = []
    for s in sessions:
        c = counts.get(s["pk"], {})
        if c.get("human_messages"):
            autonomy.append(c.get("tool_use_messages", 0) / c["human_messages"])
    return {
        "count": len(sessions),
        "length_distribution": distribution([s["message_count"] for s in sessions], LENGTH_BUCKETS),
        "duration_distribution": distribution(durations, DURATION_BUCKETS),
        "autonomy_distribution": distribution(autonomy, AUTONOMY_BUCKETS),
    }


def _overview(g: dict[str, Any]) -> dict[str, Any]:
    """One group's figures from its sums and percentiles (queries_analytics.VELOCITY_GROUPS_SQL)."""
    minutes = float(g["active_seconds"] or 0) / 60

    def per_min(total: Any) -> float:
        return round(float(total or 0) / minutes, 2) if minutes else 0

    def pcts(values: list[Any] | None) -> dict[str, Any]:
        if values is None or values[0] is None:
            return {"p50": 0, "p90": 0}
        return {"p50": float(values[0]), "p90": float(values[1])}

    return {
        "turn_cycle_sec": pcts(g["turn_gaps"]),
        "first_response_sec": pcts(g["first_response"]),
        "msgs_per_active_min": per_min(g["messages"]),
        "chars_per_active_min": per_min(g["chars"]),
        "tool_calls_per_active_min": per_min(g["tool_calls"]),
    }


def complexity(sessions: list[dict[str, Any]]) -> list[str]:
    return [bucket(s["message_count"], COMPLEXITY_BUCKETS) for s in sessions]


def velocity(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """Turn cycle, first response and per-active-minute rates (docs/api.md, ``velocity``), overall and per
    agent / complexity bucket, over the sessions with at least one non-system message.
    ``groups`` are GROUPING SETS rows: ``g`` 3 = overall, 1 = one agent, 2 = one complexity bucket."""
    empty = {
        "active_seconds": 0,
        "messages": 0,
        "chars": 0,
        "tool_calls": 0,
        "turn_gaps": None,
        "first_response": None,
    }
    overall = next((g for g in groups if g["g"] == 3), empty)
    agents = sorted((g for g in groups if g["g"] == 1), key=lambda g: g["agent"])
    by_cx = {g["cx"]: g for g in groups if g["g"] == 2}
    return {
        "overall": _overview(overall),
        "by_agent": [
            {"label": g["agent"], "sessions": g["sessions"], "overview": _overview(g)} for g in agents
        ],
        "by_complexity": [
            {"label": k, "sessions": by_cx[k]["sessions"], "overview": _overview(by_cx[k])}
            for k, _ in COMPLEXITY_BUCKETS
            if k in by_cx
        ],
    }


def weeks(sessions: list[dict[str, Any]]) -> list[date]:
    """The local week (its Monday) each session started in."""
    return [period_start(s["local_day"], "week") for s in sessions]


def tools(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """``groups``: tool calls per (agent, week, category), with ``first_pk``, the smallest session
    pk of the group. Categories are added in the order they first appear session by session
    (pk, then name), so each ``categories`` object keeps the key order it had when the rows were
    one per session."""
    categories: Counter[str] = Counter()
    agents: dict[str, Counter[str]] = defaultdict(Counter)
    trend: dict[date, Counter[str]] = defaultdict(Counter)
    for r in sorted(groups, key=lambda r: (r["first_pk"], r["category"])):
        categories[r["category"]] += r["calls"]
        agents[r["agent"]][r["category"]] += r["calls"]
        trend[r["week"]][r["category"]] += r["calls"]
    total = sum(categories.values())
    return {
        "total_calls": total,
        "by_category": [
            {"category": c, "count": n, "pct": round(100 * n / total, 1)}
            for c, n in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "by_agent": [
            {"agent": a, "total": sum(c.values()), "categories": dict(c)} for a, c in sorted(agents.items())
        ],
        "trend": [{"date": d.isoformat(), "by_category": dict(trend[d])} for d in sorted(trend)],
    }


def top_sessions(sessions: list[dict[str, Any]], metric: str, n: int = 10) -> list[dict[str, Any]]:
    def key(s: dict[str, Any]) -> tuple[float, str]:
        value = s["message_count"] if metric == "messages" else (duration_min(s) or 0)
        return (-value, s["id"])

    return [
        {
            "id": s["id"],
            "project": s["project"],
            "first_message": s["first_message"],
            "message_count": s["message_count"],
            "duration_min": round(d, 1) if (d := duration_min(s)) is not None else None,
        }
        for s in sorted(sessions, key=key)[:n]
    ]


def tokens(rows: list[dict[str, Any]]) -> dict[str, Any]:
    fields = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
    totals = dict.fromkeys(fields, 0) | {"messages": 0}
    models: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(fields, 0) | {"messages": 0})
    days: dict[date | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(fields, 0) | {"messages": 0})
    for r in rows:
        for target in (totals, models[r["model"]], days[r["day"]]):
            for k in (*fields, "messages"):
                target[k] += int(r[k])
    return {
        "totals": totals,
        "by_model": [
            {"model": m, **v} for m, v in sorted(models.items(), key=lambda kv: -kv[1]["output_tokens"])
        ],
        # Messages without a timestamp (date null) come last.
        "by_day": [
            {"date": d, **v}
            for d, v in sorted(days.items(), key=lambda kv: (kv[0] is None, kv[0] or date.min))
        ],
    }
