"""Claude Code logs to push in client tests, and a one-call push against a test server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from client.commands.run import run_push
from client.push import PushOptions, PushSummary
from tests.client import claude_lines as cl


def turn_lines(sid: str, start: int, count: int, *, text: str = "message") -> list[dict[str, Any]]:
    """``count`` alternating user/assistant lines, uuids chained from ordinal ``start``."""
    lines = []
    for i in range(start, start + count):
        ts = f"2026-01-05T{10 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
        uuid, parent = f"{sid}-u{i}", (f"{sid}-u{i - 1}" if i else None)
        if i % 2 == 0:
            lines.append(cl.user(f"{text} {i} from the user", ts, sid=sid, uuid=uuid, parent=parent))
        else:
            lines.append(
                cl.assistant(
                    [cl.text_block(f"{text} {i} from the assistant")],
                    ts,
                    sid=sid,
                    mid=f"{sid}-m{i}",
                    uuid=uuid,
                    parent=parent,
                )
            )
    return lines


def write_session(
    root: Path, sid: str, count: int, *, project: str = "-home-demo-projects-widget", text: str = "message"
) -> Path:
    return cl.write(root / project / f"{sid}.jsonl", turn_lines(sid, 0, count, text=text))


def append_turns(path: Path, sid: str, start: int, count: int) -> None:
    with path.open("ab") as out:
        out.write(cl.jsonl(turn_lines(sid, start, count)))


def push_now(**options: Any) -> PushSummary:
    return run_push(PushOptions(**options))
