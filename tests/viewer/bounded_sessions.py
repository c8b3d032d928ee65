"""Heavy sessions for the byte-bound tests: megabyte tool outputs, long texts, many messages."""

from __future__ import annotations

from typing import Any

from tests.apps import Apps, hexhash, push_body
from tests.lambda_events import gzip_json

MB = 1_000_000


def distinct_text(tag: str, chars: int) -> str:
    """``chars`` characters that differ along their length, so a wrong offset shows."""
    piece = len(f"<{tag}:0000000> ")
    return "".join(f"<{tag}:{i:07d}> " for i in range(chars // piece + 1))[:chars]


def session(sid: str, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    for i, m in enumerate(messages):
        m.setdefault("ordinal", i)
        m.setdefault("role", "user" if i % 2 == 0 else "assistant")
        m.setdefault("content", f"message {i}")
        m.setdefault("timestamp", f"2026-11-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z")
        m["chain_hash"] = hexhash(sid, i, len(messages))
    return {
        "session_id": sid,
        "agent": "claude",
        "project": "heavy",
        "started_at": "2026-11-01T10:00:00Z",
        "ended_at": "2026-11-01T11:00:00Z",
        "first_message": "heavy",
        "fingerprint": hexhash(sid, "fp", len(messages)),
        "messages": messages,
        **extra,
    }


def eight_megabyte_outputs(sid: str = "heavy") -> dict[str, Any]:
    """Issue 15's session: eight ~1 MB tool outputs (one 7.84 MiB page before pages were bounded)."""
    messages: list[dict[str, Any]] = []
    for k in range(8):
        messages.append({"content": f"run step {k}"})
        messages.append(
            {
                "content": f"step {k} ran",
                "has_tool_use": True,
                "tool_calls": [
                    {
                        "call_index": 0,
                        "tool_name": "Bash",
                        "category": "bash",
                        "tool_use_id": f"t{k}",
                        "input_json": f'{{"command": "make {k}"}}',
                        "result_content": distinct_text(f"out{k}", MB),
                    }
                ],
            }
        )
    return session(sid, messages)


def push_gzip(apps: Apps, *sessions: dict[str, Any]) -> None:
    """Push as av-client does (gzip), so bodies of several megabytes fit the ingest limits."""
    r = apps.ingest.post(
        "/v1/push",
        content=gzip_json(push_body(*sessions)),
        headers={
            "Authorization": f"Bearer {apps.device_token}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
    )
    assert r.status_code == 200, r.text[:500]
    assert all(i["status"] == "applied" for i in r.json()["results"]), r.json()
