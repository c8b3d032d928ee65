"""A small analytics fixture whose every figure was computed by hand (see EXPECTED).

Sessions (machine "laptop" unless said):
  A  alpha/claude  2026-11-02 09:00Z (Mon)  u a u a          10 min, 2 tool calls (read, bash), tokens
  B  beta/codex    2026-11-03 23:30Z (Tue; Wed 00:30 in Berlin)  u a u a u a   2 h, on machine "desk"
  C  alpha/claude  2026-11-10 12:00Z (Tue)  u a a u          one API response logged as two rows (key k3)
  D  gamma/claude  2026-11-05 08:00Z        u a              one-shot: hidden unless include_one_shot
  E  alpha/claude  2026-11-02 09:01Z        u a u a          subagent child of A: never in analytics
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.apps import hexhash


def _session(
    sid: str,
    project: str,
    agent: str,
    start: str,
    roles: str,
    gaps_s: list[int],
    *,
    end_after_s: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    t0 = datetime.fromisoformat(start.replace("Z", "+00:00"))
    msgs, t = [], t0
    for i, role in enumerate(roles.split()):
        t = t0 if i == 0 else t + timedelta(seconds=gaps_s[i - 1])
        msgs.append(
            {
                "ordinal": i,
                "role": "user" if role == "u" else "assistant",
                "content": f"{sid} {role} message {i}",
                "timestamp": t.isoformat(),
                "chain_hash": hexhash(sid, i),
            }
        )
    end = t0 + timedelta(seconds=end_after_s) if end_after_s is not None else t
    session = {
        "session_id": sid,
        "agent": agent,
        "project": project,
        "started_at": t0.isoformat(),
        "ended_at": end.isoformat(),
        "first_message": msgs[0]["content"],
        "fingerprint": hexhash(sid, len(msgs)),
        "messages": msgs,
    }
    session.update(extra)
    return session


def sessions() -> dict[str, list[dict[str, Any]]]:
    """Sessions by the machine that pushes them."""
    a = _session("A", "alpha", "claude", "2026-11-02T09:00:00Z", "u a u a", [30, 90, 60], end_after_s=600)
    a["messages"][1].update(
        model="m1",
        has_thinking=True,
        has_tool_use=True,
        message_key="k1",
        usage={"input_tokens": 100, "output_tokens": 10, "cache_read_tokens": 1000},
        tool_calls=[
            {
                "call_index": 0,
                "tool_name": "Read",
                "category": "read",
                "result_content": "alpha needle_output",
            }
        ],
    )
    a["messages"][3].update(
        model="m1",
        has_tool_use=True,
        message_key="k2",
        usage={"input_tokens": 50, "output_tokens": 5},
        tool_calls=[{"call_index": 0, "tool_name": "Bash", "category": "bash"}],
    )
    b = _session(
        "B", "beta", "codex", "2026-11-03T23:30:00Z", "u a u a u a", [60, 600, 120, 240, 60], end_after_s=7200
    )
    c = _session("C", "alpha", "claude", "2026-11-10T12:00:00Z", "u a a u", [20, 1, 400])
    for m in c["messages"][1:3]:
        m.update(model="m2", message_key="k3", usage={"input_tokens": 7, "output_tokens": 3})
    d = _session("D", "gamma", "claude", "2026-11-05T08:00:00Z", "u a", [10])
    e = _session(
        "E",
        "alpha",
        "claude",
        "2026-11-02T09:01:00Z",
        "u a u a",
        [5, 5, 5],
        relationship="subagent",
        parent_session_id="A",
    )
    return {"laptop": [a, c, d, e], "desk": [b]}


RANGE = {"from": "2026-11-01", "to": "2026-11-30"}
EXPECTED = {
    "summary": {
        "total_sessions": 3,
        "total_messages": 14,
        "active_projects": 2,
        "active_days": 3,
        "avg_messages": 4.7,
        "median_messages": 4.0,
        "p90_messages": 6,
        "most_active_project": "alpha",
        "concentration": 1.0,
        "agents": {"claude": {"sessions": 2, "messages": 8}, "codex": {"sessions": 1, "messages": 6}},
        "machines": {"laptop": {"sessions": 2, "messages": 8}, "desk": {"sessions": 1, "messages": 6}},
    },
    # turn gaps (user -> next assistant, <= 1800 s): A 30, 60; B 60, 120, 60; C 20 -> sorted 20 30 60 60 60 120
    "turn_cycle_sec": {"p50": 60.0, "p90": 120.0},
    # first assistant - first user: A 30, B 60, C 20
    "first_response_sec": {"p50": 30.0, "p90": 60.0},
    # active seconds (gaps <= 300): A 30+90+60=180; B 60+120+240+60=480 (600 is idle); C 20+1=21 (400 idle)
    "msgs_per_active_min": round(14 / (681 / 60), 2),
    "tokens": {
        "input_tokens": 157,
        "output_tokens": 18,
        "cache_read_tokens": 1000,
        "cache_creation_tokens": 0,
        "messages": 3,
    },
}
