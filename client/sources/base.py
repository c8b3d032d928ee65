"""What a session source is: everything the pusher, ``doctor`` and the docs need to know.

A source is data, not a class hierarchy: a name, where it lives and how to
find, parse and watch its files. Each agent module ends with one
``SOURCE = Source(...)`` and :mod:`client.sources.registry` lists them; no other
module names an agent.

* ``name`` — the agent name agentsview uses (``copilot``, ``vscode-copilot``…),
  which is also every session's ``agent`` and the prefix of its id, so a
  session read here and the same one imported from agentsview line up.
* ``env_var`` — agentsview's override variable for the root (a single path).
* ``locations`` — default roots, per OS (:mod:`client.sources.paths`).
* ``discover(root)`` — sorted paths to parse below one root, ``[]`` if absent.
  A path is a file, or for stores holding many sessions (a SQLite database, a
  folder per conversation) the one path that stands for them.
* ``parse(path)`` — ``(sessions, problems)``; never raises for bad content.
* ``depends(path, sessions)`` — other files whose change changes the parse of
  ``path``: a SQLite database's ``-wal`` (commits land there first), a
  sidecar metadata file, a Claude subagent's parent log. Their ``stat`` joins
  the parse cache's key, and ``watch`` polls them.
* ``kind`` — ``native`` for an agent's own store, ``import`` for agentsview's
  database (whose sessions keep agentsview's own ``agent`` column).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from client.model import ParseProblem, Session

from .paths import OS, Location, override, this_os

ParseResult = tuple[list[Session], list[ParseProblem]]


def no_dependencies(path: Path, sessions: Sequence[Session]) -> list[Path]:
    return []


def sqlite_dependencies(path: Path, sessions: Sequence[Session]) -> list[Path]:
    """A WAL database's commits reach ``<db>-wal`` long before the database file itself."""
    return [path.with_name(path.name + "-wal")]


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    env_var: str
    locations: tuple[Location, ...]
    discover: Callable[[Path], list[Path]]
    parse: Callable[[Path], ParseResult]
    depends: Callable[[Path, Sequence[Session]], list[Path]] = no_dependencies
    kind: Literal["native", "import"] = "native"
    notes: str = field(default="", compare=False)  # one line for docs and doctor

    def default_roots(self, os_name: OS | None = None) -> list[Path]:
        """The default locations for ``os_name`` (this machine's by default), resolved, in order."""
        wanted = os_name or this_os()
        out: list[Path] = []
        for loc in self.locations:
            if loc.applies(wanted):
                path = loc.resolve()
                if path not in out:
                    out.append(path)
        return out

    def roots(self) -> list[Path]:
        """``$env_var`` when set (it replaces the defaults), else the default locations."""
        chosen = override(self.env_var)
        return [chosen] if chosen is not None else self.default_roots()

    def default_root(self) -> Path:
        roots = self.roots()
        return roots[0] if roots else Path.home()

    def files(self) -> Iterator[Path]:
        """Every path to parse below every root, each once."""
        seen: set[Path] = set()
        for root in self.roots():
            for path in self.discover(root):
                if path not in seen:
                    seen.add(path)
                    yield path

    def found(self) -> list[tuple[Path, int]]:
        """``(root, paths found)`` for each root that exists: what ``doctor`` reports."""
        return [(root, len(self.discover(root))) for root in self.roots() if root.exists()]

    def collect(self, root: Path | None = None) -> ParseResult:
        """Every session below ``root`` (every root if None): for tools and tests."""
        sessions: list[Session] = []
        problems: list[ParseProblem] = []
        for path in self.files() if root is None else self.discover(root):
            got, probs = self.parse(path)
            sessions.extend(got)
            problems.extend(probs)
        return sessions, problems
