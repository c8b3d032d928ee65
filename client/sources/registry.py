"""The one list of session sources: adding an agent is one module and one line here.

Every source has the same shape (:class:`client.sources.base.Source`), so the
pusher, ``watch``, ``status`` and ``doctor`` need no per-agent code::

    for source in SOURCES:
        for path in source.files():          # every root: the override, else the defaults
            sessions, problems = source.parse(path)

Native sources come first, then the agentsview import: an agentsview database
holds the same sessions the native sources read (same ids), so the pusher
takes a session id from the first source that yields it — the agent's own
store wins and the import fills in what is gone from disk.

Codex ``codex exec`` sessions are excluded by default; ``sources(include_codex_exec=True)``
builds the list with them.
"""

from __future__ import annotations

from client.sources.base import ParseResult, Source

from . import (
    agentsview_db,
    aider,
    amp,
    claude,
    codex,
    copilot,
    cursor,
    gemini,
    goose,
    iflow,
    kilo,
    kilo_legacy,
    kiro,
    openclaw,
    opencode,
    openhands,
    pi,
    qwen,
    roocode,
    vscode_copilot,
    warp,
    windsurf,
    zed,
    zencoder,
)

__all__ = ["ParseResult", "Source", "SOURCES", "sources", "native_sources", "get_source", "agent_names"]


def sources(*, include_codex_exec: bool = False) -> tuple[Source, ...]:
    return (
        claude.SOURCE,
        codex.source(include_exec=include_codex_exec) if include_codex_exec else codex.SOURCE,
        gemini.SOURCE,
        copilot.SOURCE,
        opencode.SOURCE,
        cursor.SOURCE,
        amp.SOURCE,
        zencoder.SOURCE,
        iflow.SOURCE,
        vscode_copilot.SOURCE,
        pi.SOURCE,
        openclaw.SOURCE,
        qwen.SOURCE,
        aider.SOURCE,
        goose.SOURCE,
        kilo.SOURCE,
        kilo_legacy.SOURCE,
        roocode.SOURCE,
        zed.SOURCE,
        openhands.SOURCE,
        warp.SOURCE,
        kiro.SOURCE,
        windsurf.SOURCE,
        agentsview_db.SOURCE,
    )


SOURCES: tuple[Source, ...] = sources()


def native_sources(*, include_codex_exec: bool = False) -> tuple[Source, ...]:
    return tuple(s for s in sources(include_codex_exec=include_codex_exec) if s.kind == "native")


def agent_names() -> tuple[str, ...]:
    """What ``--agent`` accepts: every native source's agent name."""
    return tuple(s.name for s in SOURCES if s.kind == "native")


def get_source(name: str) -> Source:
    for s in SOURCES:
        if s.name == name:
            return s
    raise KeyError(f"unknown source {name!r}; known: {', '.join(s.name for s in SOURCES)}")
