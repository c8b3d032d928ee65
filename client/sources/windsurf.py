"""Windsurf (``windsurf``): chats kept in each workspace's ``state.vscdb``.

Location: the Windsurf (VS Code fork) ``User`` folder — Linux
``~/.config/Windsurf/User``, macOS ``~/Library/Application
Support/Windsurf/User``, Windows ``%APPDATA%\\Windsurf\\User``, and the same
for ``Windsurf - Next``; ``WINDSURF_DIR`` may name a ``User`` folder or its
``workspaceStorage``. Each ``workspaceStorage/<hash>/state.vscdb`` is a SQLite
key/value store shared with other extensions: only the chat keys are read
(``workbench.panel.aichat.view.aichat.chatdata``, older ``aiChat.chatdata``),
never anything else in it. ``workspace.json`` beside it names the project.

The value is JSON in one of two shapes:

* tabs: ``{"tabs": [{tabId, chatTitle, bubbles: [{type, text | rawText |
  initText}]}]}`` — each tab is a session (``tabId``, titled ``chatTitle``);
  bubble ``type`` ``user`` / ``assistant`` (``ai``) or a number (2 is the
  assistant, anything else the user);
* a VS Code chat session (``sessionId``, ``requests``…), read as for
  ``vscode-copilot``; without a ``sessionId`` it is named after its workspace.

No model, usage, tool calls or thinking are stored; only the VS Code shape has
times (a tab's time is the database's modification time). A chat value that is not JSON is reported for that database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from client.model import Message, ParseProblem, Session
from client.sources.base import Source
from client.sources.paths import Location, linux, macos, windows

from .records import iso, loads_or_none, string, text_of
from .sqlite_store import read_store, table_columns
from .turns import SessionInfo, Turn, session
from .vscode_copilot import chat_request, workspace_folder

CHAT_KEYS = ("workbench.panel.aichat.view.aichat.chatdata", "aiChat.chatdata")
DATABASE = "state.vscdb"


def discover_windsurf(root: Path) -> list[Path]:
    root = Path(root)
    storage = root if root.name == "workspaceStorage" else root / "workspaceStorage"
    try:
        return sorted(p for p in storage.glob(f"*/{DATABASE}") if p.is_file())
    except OSError:
        return []


def windsurf_dependencies(path: Path, sessions: Sequence[Session]) -> list[Path]:
    return [path.with_name(DATABASE + "-wal"), path.with_name("workspace.json")]


def _fetch(con: sqlite3.Connection) -> list[Any] | str:
    if not {"key", "value"} <= table_columns(con, "ItemTable"):
        return "not a VS Code state database (no ItemTable)"
    marks = ", ".join("?" for _ in CHAT_KEYS)
    return con.execute(f"SELECT key, value FROM ItemTable WHERE key IN ({marks})", CHAT_KEYS).fetchall()


def _bubble_role(kind: Any) -> str:
    if kind in ("assistant", "ai", "bot") or (type(kind) is int and kind == 2):
        return "assistant"
    return "user"


def _tab_messages(tab: dict[str, Any]) -> list[Message | None]:
    out: list[Message | None] = []
    bubbles = tab.get("bubbles")
    for bubble in bubbles if type(bubbles) is list else ():
        if type(bubble) is not dict:
            continue
        t = Turn("assistant" if _bubble_role(bubble.get("type")) == "assistant" else "user")
        t.text(string(bubble, "text", "rawText", "initText"))
        out.append(t.message())
    return out


def parse_windsurf(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    spath = str(path)
    rows = read_store(path, _fetch)
    if isinstance(rows, ParseProblem):
        return [], [rows]
    if isinstance(rows, str):
        return [], [ParseProblem(spath, None, rows)]
    cwd = workspace_folder(path.with_name("workspace.json"))
    try:  # tabs carry no times: the database's modification time stands for them
        modified = iso(path.stat().st_mtime)
    except OSError:
        modified = None
    sessions: list[Session] = []
    problems: list[ParseProblem] = []
    for key, value in sorted(rows, key=lambda r: CHAT_KEYS.index(r[0]) if r[0] in CHAT_KEYS else 9):
        doc = loads_or_none(value if type(value) in (str, bytes) else text_of(value))
        if type(doc) is not dict:
            problems.append(ParseProblem(spath, None, f"{text_of(key)}: the chat data is not JSON"))
            continue
        if type(doc.get("tabs")) is list:
            for tab in doc["tabs"]:
                if type(tab) is not dict:
                    continue
                info = SessionInfo(
                    session_id=f"windsurf:{string(tab, 'tabId') or path.parent.name}",
                    agent="windsurf",
                    source_path=spath,
                    cwd=cwd,
                    title=string(tab, "chatTitle") or None,
                    started_at=modified,
                    ended_at=modified,
                )
                built = session(info, _tab_messages(tab))
                if built is not None:
                    sessions.append(built)
        else:
            messages: list[Message | None] = []
            requests = doc.get("requests")
            for req in requests if type(requests) is list else ():
                if type(req) is dict:
                    messages += chat_request(req)
            info = SessionInfo(
                session_id=f"windsurf:{string(doc, 'sessionId') or path.parent.name}",
                agent="windsurf",
                source_path=spath,
                cwd=cwd,
                title=string(doc, "customTitle") or None,
                stamps=[iso(doc.get("creationDate")), iso(doc.get("lastMessageDate"))],
            )
            built = session(info, messages)
            if built is not None:
                sessions.append(built)
    return sessions, problems


def _user_folders(app: str) -> tuple[Location, ...]:
    return (
        linux(f"{{config}}/{app}/User"),
        macos(f"{{appsup}}/{app}/User"),
        windows(f"{{appdata}}/{app}/User"),
    )


SOURCE = Source(
    name="windsurf",
    label="Windsurf",
    env_var="WINDSURF_DIR",
    locations=(*_user_folders("Windsurf"), *_user_folders("Windsurf - Next")),
    discover=discover_windsurf,
    parse=parse_windsurf,
    depends=windsurf_dependencies,
)
