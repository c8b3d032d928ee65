"""The one list of session sources the pusher walks.

Every source has the same shape, so the pusher needs no per-agent code::

    for source in SOURCES:
        for path in source.discover(source.default_root()):
            sessions, problems = source.parse(path)

* ``name``: the source's name (the agent it reads, or ``agentsview`` for the
  database import, whose sessions keep agentsview's own ``agent`` column).
* ``default_root()``: where that source lives on this machine, honouring its
  environment variable (``env_var``) - read at call time, so tests and the CLI
  can point it elsewhere.
* ``discover(root)``: sorted paths to parse below ``root``; ``[]`` when the root
  does not exist. The agentsview database is one file holding many sessions:
  its ``discover`` returns ``[db]`` when it exists and its ``parse`` returns
  every session in it, so the same loop works.
* ``parse(path)``: ``(sessions, problems)``; never raises for bad content.
* ``kind``: ``"native"`` for the agents' own logs, ``"import"`` for the
  agentsview database. An agentsview database holds the same sessions the
  native sources read (same ids for Claude and Codex), so a pusher should use
  the import only for data whose logs are gone, or dedupe by ``session_id``
  giving native sources priority; ``native_sources()`` lists the others.

Codex ``codex exec`` sessions are excluded by default; ``sources(include_codex_exec=True)``
builds the list with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from client.model import ParseProblem, Session

from .agentsview_db import agentsview_db_path, discover_agentsview_db, parse_agentsview_db
from .claude import claude_projects_dir, discover_claude_files, parse_claude_file
from .codex import codex_sessions_dir, discover_codex_files, parse_codex_file
from .gemini import discover_gemini_files, gemini_dir, parse_gemini_file

ParseResult = tuple[list[Session], list[ParseProblem]]


@dataclass(frozen=True)
class Source:
    name: str
    env_var: str
    default_root: Callable[[], Path]
    discover: Callable[[Path], list[Path]]
    parse: Callable[[Path], ParseResult]
    kind: Literal["native", "import"] = "native"

    def collect(self, root: Path | None = None) -> tuple[list[Session], list[ParseProblem]]:
        """Every session below ``root`` (default root if None): convenience for tools and tests."""
        sessions: list[Session] = []
        problems: list[ParseProblem] = []
        for path in self.discover(self.default_root() if root is None else root):
            got, probs = self.parse(path)
            sessions.extend(got)
            problems.extend(probs)
        return sessions, problems


def sources(*, include_codex_exec: bool = False) -> tuple[Source, ...]:
    return (
        Source(
            "claude", "CLAUDE_PROJECTS_DIR", claude_projects_dir, discover_claude_files, parse_claude_file
        ),
        Source(
            "codex",
            "CODEX_SESSIONS_DIR",
            codex_sessions_dir,
            discover_codex_files,
            partial(parse_codex_file, include_exec=include_codex_exec),
        ),
        Source("gemini", "GEMINI_DIR", gemini_dir, discover_gemini_files, parse_gemini_file),
        Source(
            "agentsview",
            "AGENTSVIEW_DB",
            agentsview_db_path,
            discover_agentsview_db,
            parse_agentsview_db,
            kind="import",
        ),
    )


SOURCES: tuple[Source, ...] = sources()


def native_sources(*, include_codex_exec: bool = False) -> tuple[Source, ...]:
    return tuple(s for s in sources(include_codex_exec=include_codex_exec) if s.kind == "native")


def get_source(name: str) -> Source:
    for s in SOURCES:
        if s.name == name:
            return s
    raise KeyError(f"unknown source {name!r}; known: {', '.join(s.name for s in SOURCES)}")
