"""Aider (``aider``): ``<repo>/.aider.chat.history.md`` in every repository Aider ran in.

There is no central store, so there is no default location: ``AIDER_DIR``
names a folder of code, walked up to four levels deep (dependency, build and
hidden folders are skipped) for history files, as agentsview does.

* One file accumulates every run; a run starts at ``# aider chat started at
  YYYY-MM-DD HH:MM:SS`` (local time; an unreadable time still starts a run).
  Text before the first header belongs to no run; a run with no message is
  no session. CRLF line endings are read as LF.
* Each run is a session. Aider writes no id, so the id is agentsview's:
  ``aider:`` + sha256(absolute file path, NUL, header time text, NUL, the
  run's ordinal among runs with the same header), so an import of the same
  history lines up and appending runs never re-keys earlier ones.
* Inside a run: ``#### text`` lines are the user's prompt; ``> text`` lines are
  Aider's own output (``Applied edit to <file>`` and ``Creating empty file
  <file>`` become edit / write tool calls, the rest stays text); any other
  line is the model's reply. Consecutive lines of one kind are one message.
* Cwd: the repository folder holding the file. Start and end: the run header
  (no per-message times). Model, usage, thinking and ids are not in the file.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

from client.model import Message, ParseProblem, Session
from client.sources.base import Source

from . import decoding
from .records import iso
from .turns import SessionInfo, Turn, session

HISTORY = ".aider.chat.history.md"
HEADER = "# aider chat started at"
MAX_DEPTH = 4
_SKIP_DIRS = frozenset(
    {
        "node_modules",
        "vendor",
        "target",
        "build",
        "dist",
        "venv",
        "__pycache__",
        "Library",
        "Pictures",
        "Music",
    }
)
_TOOLS = {"Applied edit to ": "edit", "Creating empty file ": "write"}


def discover_aider_files(root: Path) -> list[Path]:
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    base = len(root.parts)
    for here, dirs, files in os.walk(root):
        depth = len(Path(here).parts) - base
        dirs[:] = (
            sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
            if depth < MAX_DEPTH
            else []
        )
        if HISTORY in files:
            found.append(Path(here) / HISTORY)
    return sorted(found)


def _runs(text: str) -> list[tuple[str, list[str]]]:
    runs: list[tuple[str, list[str]]] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(HEADER):
            runs.append((line[len(HEADER) :].strip(), []))
        elif runs:
            runs[-1][1].append(line)
    return runs


def run_id(path: Path, header: str, ordinal: int) -> str:
    raw = f"{os.path.abspath(path)}\0{header}\0{ordinal}".encode()
    return hashlib.sha256(raw).hexdigest()


def _header_time(header: str) -> str | None:
    try:
        local = datetime.strptime(header, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return iso(local.astimezone().isoformat())


def _messages(body: list[str], ts: str | None) -> list[Message | None]:
    out: list[Message | None] = []
    kind: str | None = None
    lines: list[str] = []

    def flush() -> None:
        if kind is None:
            return
        text = "\n".join(lines).strip()
        if kind == "user":
            t = Turn("user", ts)
            t.text(text)
        else:
            t = Turn("assistant", ts)
            if kind == "tool":
                rest = []
                for line in lines:
                    prefix = next((p for p in _TOOLS if line.startswith(p)), None)
                    if prefix:
                        target = line[len(prefix) :].strip()
                        t.tool(_TOOLS[prefix], "", {"path": target}, result=line, header=f"> {line}")
                    elif line.strip():
                        rest.append(line)
                t.text("\n".join(rest).strip())
            else:
                t.text(text)
        out.append(t.message())

    for line in body:
        if line.startswith("#### ") or line == "####":
            now, content = "user", line[5:].rstrip()
        elif line.startswith("> ") or line == ">":
            now, content = "tool", line[2:]
        elif not line.strip():
            if kind is not None:
                lines.append("")
            continue
        else:
            now, content = "assistant", line
        if now != kind:
            flush()
            kind, lines = now, []
        lines.append(content)
    flush()
    return out


def parse_aider_file(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [ParseProblem(str(path), None, f"cannot read file: {exc.strerror or exc}")]
    seen: dict[str, int] = {}
    sessions = []
    for header, body in _runs(decoding.text(data)):
        ordinal = seen.get(header, 0)
        seen[header] = ordinal + 1
        ts = _header_time(header)
        info = SessionInfo(
            session_id=f"aider:{run_id(path, header, ordinal)}",
            agent="aider",
            source_path=str(path),
            cwd=os.path.abspath(path.parent),
            started_at=ts,
            ended_at=ts,
        )
        built = session(info, _messages(body, ts))
        if built is not None:
            sessions.append(built)
    return sessions, []


SOURCE = Source(
    name="aider",
    label="Aider",
    env_var="AIDER_DIR",
    locations=(),  # no central store: AIDER_DIR names the code folder to search
    discover=discover_aider_files,
    parse=parse_aider_file,
)
