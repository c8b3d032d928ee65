"""The tools dashboard over several agents, weeks and categories, checked against counts made by hand.

Tool calls are summed per (agent, local week, category) in SQL (issue 15, margins at 1 M); the
answer must be the one the old per-session sum gave, the order of each ``categories`` object's
keys included (categories in the order they first appear, session by session, then by name),
whether the sessions are rolled up or still pending, in any time zone.

    S1 claude, Mon 2026-11-02 10:00Z: read, bash, read
    S2 codex,  Tue 2026-11-03 10:00Z: edit, read
    S3 claude, Sun 2026-11-08 23:30Z: web, bash         (Mon 9 Nov 05:00 in Kolkata)
    S4 claude, Wed 2026-11-11 10:00Z: bash, edit, edit

pushed one by one in this order, so their session keys (pk) ascend in it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.apps import hexhash
from tests.viewer.test_analytics import refresh

RANGE = {"from": "2026-11-01", "to": "2026-11-30", "include_one_shot": "true"}


def _session(sid: str, agent: str, start: str, categories: list[str]) -> dict[str, Any]:
    day, hm = start.split("T")
    msgs: list[dict[str, Any]] = [
        {
            "ordinal": 0,
            "role": "user",
            "content": f"{sid} ask",
            "timestamp": start,
            "chain_hash": hexhash(sid, 0),
        }
    ]
    for i, category in enumerate(categories, start=1):
        msgs.append(
            {
                "ordinal": i,
                "role": "assistant",
                "content": f"{sid} step {i}",
                "timestamp": f"{day}T{hm[:3]}{i:02d}:00Z",
                "chain_hash": hexhash(sid, i),
                "has_tool_use": True,
                "tool_calls": [
                    {
                        "call_index": 0,
                        "tool_name": category.title(),
                        "category": category,
                        "tool_use_id": f"{sid}{i}",
                    }
                ],
            }
        )
    return {
        "session_id": sid,
        "agent": agent,
        "project": "tools",
        "started_at": start,
        "first_message": f"{sid} ask",
        "fingerprint": hexhash(sid, "tools"),
        "messages": msgs,
    }


@pytest.fixture
def pushed(apps):
    sessions = [
        _session("S1", "claude", "2026-11-02T10:00:00Z", ["read", "bash", "read"]),
        _session("S2", "codex", "2026-11-03T10:00:00Z", ["edit", "read"]),
        _session("S3", "claude", "2026-11-08T23:30:00Z", ["web", "bash"]),
        _session("S4", "claude", "2026-11-11T10:00:00Z", ["bash", "edit", "edit"]),
    ]
    for s in sessions:
        assert apps.push(s).json()["results"][0]["status"] == "applied"
    return apps


# Each week's categories in the order they first appear: S1's (bash, read: by name within a
# session), then S2's new ones, and so on.
UTC_TREND = [
    {"date": "2026-11-02", "by_category": {"bash": 2, "read": 3, "edit": 1, "web": 1}},
    {"date": "2026-11-09", "by_category": {"bash": 1, "edit": 2}},
]
# In Kolkata (+05:30) S3 starts on Monday 9 November: its calls move to the second week, where
# they come first (S3 was pushed before S4).
KOLKATA_TREND = [
    {"date": "2026-11-02", "by_category": {"bash": 1, "read": 3, "edit": 1}},
    {"date": "2026-11-09", "by_category": {"bash": 2, "web": 1, "edit": 2}},
]


def _check(body: dict[str, Any], trend: list[dict[str, Any]]) -> None:
    assert body["total_calls"] == 10
    assert body["by_category"] == [
        {"category": "bash", "count": 3, "pct": 30.0},
        {"category": "edit", "count": 3, "pct": 30.0},
        {"category": "read", "count": 3, "pct": 30.0},
        {"category": "web", "count": 1, "pct": 10.0},
    ]
    assert body["by_agent"] == [
        {"agent": "claude", "total": 8, "categories": {"bash": 3, "read": 2, "web": 1, "edit": 2}},
        {"agent": "codex", "total": 2, "categories": {"edit": 1, "read": 1}},
    ]
    # key order too: the page lists categories as the object gives them
    assert [list(a["categories"]) for a in body["by_agent"]] == [
        ["bash", "read", "web", "edit"],
        ["edit", "read"],
    ]
    assert body["trend"] == trend
    assert [list(w["by_category"]) for w in body["trend"]] == [list(w["by_category"]) for w in trend]


@pytest.mark.parametrize("rolled", [False, True], ids=["pending", "rolled-up"])
def test_tools_per_agent_week_and_category_match_the_hand_counts(pushed, rolled) -> None:
    if rolled:
        assert refresh(pushed) == 4
    _check(pushed.view("/api/v1/analytics/tools", **RANGE).json(), UTC_TREND)
    _check(pushed.view("/api/v1/analytics/tools", timezone="Asia/Kolkata", **RANGE).json(), KOLKATA_TREND)
