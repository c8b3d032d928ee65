"""Pi (``pi``): ``~/.pi/agent/sessions/<encoded-cwd>/<file>.jsonl``.

Files sit exactly one folder below the root. The format and how it is read:
:mod:`client.sources.pi_family`. Session id: the header ``id`` (version-1
files have none: the file name). Cwd: the header's. Title: the last
``session_info`` name. A fork's header names its parent file in
``branchedFrom``: the parent is that file's header id when it is here, else
the id part of its name (``<time>_<id>.jsonl``).
"""

from __future__ import annotations

from pathlib import Path

from client.model import ParseProblem, Session
from client.sources.base import Source
from client.sources.paths import anywhere

from .pi_family import read_pi_log
from .records import read_jsonl, string
from .turns import SessionInfo, session


def discover_pi_files(root: Path) -> list[Path]:
    try:
        return sorted(p for p in Path(root).glob("*/*.jsonl") if p.is_file())
    except OSError:
        return []


def _header_id(path: Path) -> str | None:
    if not path.is_file():
        return None
    records = read_jsonl(path, [])
    first = next((r for _, r in records or [] if r.get("type") != "title"), None)
    return string(first, "id") or None if first and first.get("type") == "session" else None


def parent_id(branched_from: str, near: Path) -> str:
    """The session id of the file a fork was ``branchedFrom``."""
    name = branched_from.replace("\\", "/").rsplit("/", 1)[-1]
    for candidate in (near.parent / name, Path(branched_from)):
        found = _header_id(candidate)
        if found:
            return found
    stem = name.removesuffix(".jsonl")
    return stem.split("_", 1)[1] if "_" in stem else stem


def parse_pi_file(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    problems: list[ParseProblem] = []
    log = read_pi_log(path, problems)
    if log is None:
        return [], problems
    branched = string(log.header, "branchedFrom")
    info = SessionInfo(
        session_id=f"pi:{string(log.header, 'id') or path.stem}",
        agent="pi",
        source_path=str(path),
        cwd=string(log.header, "cwd") or None,
        title=log.title or string(log.header, "title") or None,
        stamps=log.stamps,
        parent_session_id=f"pi:{parent_id(branched, path)}" if branched else None,
        relationship="fork",
    )
    built = session(info, log.messages)
    return ([built] if built else []), problems


SOURCE = Source(
    name="pi",
    label="Pi",
    env_var="PI_DIR",
    locations=(anywhere(".pi/agent/sessions"),),
    discover=discover_pi_files,
    parse=parse_pi_file,
)
