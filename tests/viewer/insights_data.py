"""A small, fixed data set for the search and analytics browser tests: four sessions on two
machines in March 2026 (UTC), every figure small enough to compute by hand.

| session | agent | project | machine | starts (UTC) | messages | usage (model: in/out/cache read/cache write) |
| --- | --- | --- | --- | --- | --- | --- |
| alpha-1 | claude | alpha | laptop | Mon 2026-03-02 14:05 | 4 | sonnet 4.5: 1000/200/5000/2000, 500/100/0/0 |
| beta-1 | codex | beta | laptop | Wed 2026-03-04 09:00 | 4 | gpt-5: 2000/300/1000/0, 100/50/0/0 |
| gamma-1 | claude | alpha | desktop | Thu 2026-03-05 22:30 | 4 | mystery-model-x: 700/70/0/0 (unpriced) |
| zebra-1 | claude | gamma | desktop | Sat 2026-03-07 10:00 | 60 | none |
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.viewer.browser_helpers import sha

LAPTOP, DESKTOP = "laptop", "desktop"
ALPHA_ID, BETA_ID, GAMMA_ID, ZEBRA_ID = (
    f"{LAPTOP}:alpha-1",
    f"{LAPTOP}:beta-1",
    f"{DESKTOP}:gamma-1",
    f"{DESKTOP}:zebra-1",
)
RANGE = ("2026-03-01", "2026-03-31")
ZEBRA_MESSAGES = 60
SESSIONS = 4
MESSAGES = 4 + 4 + 4 + ZEBRA_MESSAGES
SONNET, GPT, MYSTERY = "claude-sonnet-4-5", "gpt-5", "mystery-model-x"


def _msg(sid: str, ordinal: int, role: str, content: str, ts: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "ordinal": ordinal,
        "role": role,
        "content": content,
        "timestamp": ts.isoformat(),
        "chain_hash": sha(sid, ordinal, content),
        **extra,
    }


def _session(
    sid: str, agent: str, project: str, start: datetime, messages: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "session_id": sid,
        "agent": agent,
        "project": project,
        "cwd": f"/home/dev/{project}",
        "first_message": messages[0]["content"],
        "started_at": start.isoformat(),
        "ended_at": messages[-1]["timestamp"],
        "fingerprint": sha(sid, len(messages)),
        "messages": messages,
    }


def _usage(inp: int, out: int, read: int = 0, write: int = 0) -> dict[str, int]:
    return {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_read_tokens": read,
        "cache_creation_tokens": write,
    }


def laptop_sessions() -> list[dict[str, Any]]:
    t = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    alpha = [
        _msg("alpha-1", 0, "user", "Please migrate the database schema to version two", t),
        _msg(
            "alpha-1",
            1,
            "assistant",
            "I will migrate the database now, starting with src/storage/db_pool.py.",
            t + timedelta(minutes=1),
            model=SONNET,
            has_tool_use=True,
            usage=_usage(1000, 200, 5000, 2000),
            tool_calls=[
                {
                    "call_index": 0,
                    "tool_name": "Edit",
                    "tool_use_id": "toolu_a1",
                    "category": "edit",
                    "input_json": json.dumps({"file_path": "src/storage/db_pool.py"}),
                    "result_content": "Updated src/storage/db_pool.py",
                }
            ],
        ),
        _msg("alpha-1", 2, "user", "Also explain 数据库迁移 in the notes", t + timedelta(minutes=5)),
        _msg(
            "alpha-1",
            3,
            "assistant",
            "Done: the notes describe the schema change.",
            t + timedelta(minutes=7),
            model=SONNET,
            usage=_usage(500, 100),
        ),
    ]
    t = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    beta = [
        _msg("beta-1", 0, "user", "Why does the deploy fail on arm64?", t),
        _msg(
            "beta-1",
            1,
            "assistant",
            "The arm64 runner lacks clang; the database is fine.",
            t + timedelta(minutes=2),
            model=GPT,
            usage=_usage(2000, 300, 1000),
        ),
        _msg("beta-1", 2, "user", "Thanks, fix the runner", t + timedelta(minutes=4)),
        _msg(
            "beta-1",
            3,
            "assistant",
            "Fixed the runner image.",
            t + timedelta(minutes=6),
            model=GPT,
            usage=_usage(100, 50),
        ),
    ]
    return [
        _session("alpha-1", "claude", "alpha", datetime(2026, 3, 2, 14, 5, tzinfo=UTC), alpha),
        _session("beta-1", "codex", "beta", datetime(2026, 3, 4, 9, 0, tzinfo=UTC), beta),
    ]


def desktop_sessions() -> list[dict[str, Any]]:
    t = datetime(2026, 3, 5, 22, 30, tzinfo=UTC)
    gamma = [
        _msg("gamma-1", 0, "user", "Summarise yesterday's work on the database", t),
        _msg(
            "gamma-1",
            1,
            "assistant",
            "Summary: the database was migrated and the runner fixed.",
            t + timedelta(minutes=1),
            model=MYSTERY,
            usage=_usage(700, 70),
        ),
        _msg("gamma-1", 2, "user", "ok, thanks", t + timedelta(minutes=2)),
        _msg("gamma-1", 3, "assistant", "Anything else?", t + timedelta(minutes=3), model=MYSTERY),
    ]
    t = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)
    zebra = [
        _msg(
            "zebra-1",
            i,
            "user" if i % 2 == 0 else "assistant",
            f"zebra crossing note {i}",
            t + timedelta(seconds=30 * i),
        )
        for i in range(ZEBRA_MESSAGES)
    ]
    return [
        _session("gamma-1", "claude", "alpha", datetime(2026, 3, 5, 22, 30, tzinfo=UTC), gamma),
        _session("zebra-1", "claude", "gamma", datetime(2026, 3, 7, 10, 0, tzinfo=UTC), zebra),
    ]
