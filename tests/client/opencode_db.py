"""Builds OpenCode-format databases (``opencode.db``, Kilo's ``kilo.db``) and storage trees for tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS project (id TEXT PRIMARY KEY, worktree TEXT NOT NULL,
    time_created INTEGER NOT NULL DEFAULT 0, time_updated INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS session (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, parent_id TEXT, title TEXT,
    directory TEXT NOT NULL DEFAULT '', time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, time_created INTEGER NOT NULL,
    time_updated INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL,
    time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
"""
T0 = 1_767_600_000_000


class OpenCodeDb:
    """A writer like OpenCode's own: WAL mode, one connection, every call its own transaction."""

    def __init__(self, path: Path, *, wal: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.con = sqlite3.connect(path, isolation_level=None)
        if wal:
            self.con.execute("PRAGMA journal_mode = WAL")
        self.con.executescript(SCHEMA)
        self.con.execute("INSERT OR IGNORE INTO project VALUES ('prj', '/home/demo/projects/widget', 0, 0)")
        self._n = 0

    def session(self, sid: str, *, title: str | None = "Demo", parent: str | None = None, t: int = T0) -> str:
        self.con.execute(
            "INSERT INTO session VALUES (?, 'prj', ?, ?, '/home/demo/projects/widget', ?, ?)",
            (sid, parent, title, t, t + 60_000),
        )
        return sid

    def message(self, sid: str, role: str, *parts: dict[str, Any], t: int | None = None, **data: Any) -> str:
        self._n += 1
        mid = f"msg_{self._n:04d}"
        when = t if t is not None else T0 + self._n * 1000
        self.con.execute(
            "INSERT INTO message VALUES (?, ?, ?, ?, ?)",
            (mid, sid, when, when, orjson.dumps({"role": role, **data}).decode()),
        )
        for i, part in enumerate(parts):
            self.con.execute(
                "INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)",
                (f"prt_{self._n:04d}_{i}", mid, sid, when + i, when + i, orjson.dumps(part).decode()),
            )
        return mid

    def close(self) -> None:
        self.con.close()


def text(t: str) -> dict:
    return {"type": "text", "text": t}


def tool(name: str, call_id: str, inp: dict, output: str | None = None, **state: Any) -> dict:
    s: dict[str, Any] = {"status": "completed", "input": inp, **state}
    if output is not None:
        s["output"] = output
    return {"type": "tool", "tool": name, "callID": call_id, "state": s}


def step_finish(inp: int, out: int, *, reasoning: int = 0, read: int = 0, write: int = 0) -> dict:
    return {
        "type": "step-finish",
        "tokens": {
            "input": inp,
            "output": out,
            "reasoning": reasoning,
            "cache": {"read": read, "write": write},
        },
    }


def storage_session(
    root: Path, sid: str, messages: list[tuple[dict, list[dict]]], *, project: str = "global"
) -> Path:
    """Write a ``storage/`` tree session: ``messages`` is [(message data, [part data…])]."""
    storage = root / "storage"
    path = storage / "session" / project / f"{sid}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        orjson.dumps(
            {"id": sid, "directory": "/home/demo/projects/widget", "title": "Stored", "time": {"created": T0}}
        )
    )
    for i, (data, parts) in enumerate(messages):
        mid = f"msg_{i:04d}"
        mfile = storage / "message" / sid / f"{mid}.json"
        mfile.parent.mkdir(parents=True, exist_ok=True)
        mfile.write_bytes(
            orjson.dumps({"id": mid, "sessionID": sid, "time": {"created": T0 + i * 1000}, **data})
        )
        for j, part in enumerate(parts):
            pfile = storage / "part" / mid / f"prt_{j}.json"
            pfile.parent.mkdir(parents=True, exist_ok=True)
            pfile.write_bytes(
                orjson.dumps({"id": f"prt_{i}_{j}", "messageID": mid, "time": {"start": T0 + j}, **part})
            )
    return path
