"""OpenClaw (``openclaw``): ``~/.openclaw/agents/<agent>/sessions/<id>.jsonl`` (and ``~/.kimi_openclaw``).

The Pi session format (:mod:`client.sources.pi_family`). The same raw session
id can exist under several agents, so the agent folder is part of the id:
``openclaw:<agent>:<session>``. Removed or reset sessions are renamed
``<id>.jsonl.deleted.<time>`` / ``.reset.<time>`` (and ``.full.bak``): for one
id the live ``.jsonl`` is read, else the archive with the newest time; ``.tmp``,
``.lock`` and ``.partial`` files and the ``sessions.json`` index are not
sessions. User text may start with a bracketed date (``[…] ``), kept as written.
"""

from __future__ import annotations

import re
from pathlib import Path

from client.model import ParseProblem, Session
from client.sources.base import Source
from client.sources.paths import anywhere

from .pi_family import read_pi_log
from .records import string
from .turns import SessionInfo, session

_ARCHIVE = re.compile(r"^(?P<id>.+?)\.jsonl\.(?:(?:deleted|reset)\.(?P<time>.+)|full\.bak)$")
_SKIP = (".tmp", ".lock", ".partial")


def _pick(files: list[Path]) -> list[Path]:
    live: dict[str, Path] = {}
    archived: dict[str, tuple[str, Path]] = {}
    for f in files:
        name = f.name
        if name.endswith(_SKIP):
            continue
        if name.endswith(".jsonl"):
            live[name[: -len(".jsonl")]] = f
            continue
        m = _ARCHIVE.match(name)
        if m:
            when = m.group("time") or ""
            if m.group("id") not in archived or when > archived[m.group("id")][0]:
                archived[m.group("id")] = (when, f)
    chosen = dict(live)
    for sid, (_, f) in archived.items():
        chosen.setdefault(sid, f)
    return [chosen[k] for k in sorted(chosen)]


def discover_openclaw_files(root: Path) -> list[Path]:
    found: list[Path] = []
    try:
        agents = sorted(p for p in Path(root).iterdir() if p.is_dir())
    except OSError:
        return []
    for agent in agents:
        try:
            files = [p for p in (agent / "sessions").iterdir() if p.is_file()]
        except OSError:
            continue
        found += _pick(files)
    return found


def _file_id(path: Path) -> str:
    m = _ARCHIVE.match(path.name)
    return m.group("id") if m else path.name.removesuffix(".jsonl")


def parse_openclaw_file(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    problems: list[ParseProblem] = []
    log = read_pi_log(path, problems)
    if log is None:
        return [], problems
    agent = path.parent.parent.name
    info = SessionInfo(
        session_id=f"openclaw:{agent}:{string(log.header, 'id') or _file_id(path)}",
        agent="openclaw",
        source_path=str(path),
        cwd=string(log.header, "cwd") or None,
        title=log.title,
        stamps=log.stamps,
    )
    built = session(info, log.messages)
    return ([built] if built else []), problems


SOURCE = Source(
    name="openclaw",
    label="OpenClaw",
    env_var="OPENCLAW_DIR",
    locations=(anywhere(".openclaw/agents"), anywhere(".kimi_openclaw/agents")),
    discover=discover_openclaw_files,
    parse=parse_openclaw_file,
)
