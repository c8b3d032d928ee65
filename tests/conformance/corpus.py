"""Helpers for the per-agent conformance suites over ../shared/corpus (format truth).

Each suite lists, per sample file, what the format defines and what was
counted in the file by hand (``jq`` or reading it): the session id, messages,
user messages, tool calls, tool results, messages with thinking, and token
sums. ``summary`` computes the same tuple from a parsed session, so a suite is
a table plus one assertion per row.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import NamedTuple

import pytest

from client.model import Session

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def corpus_marks(agent: str) -> list[pytest.MarkDecorator]:
    where = CORPUS / agent
    return [
        pytest.mark.conformance,
        pytest.mark.skipif(not where.is_dir(), reason=f"real corpus not present at {where}"),
    ]


class Counts(NamedTuple):
    session_id: str
    messages: int
    user: int
    tool_calls: int
    results: int
    thinking: int
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read: int = 0
    cache_write: int = 0


def summary(s: Session) -> Counts:
    usage = [m.usage for m in s.messages if m.usage]
    return Counts(
        s.session_id,
        len(s.messages),
        sum(m.role == "user" for m in s.messages),
        sum(len(m.tool_calls) for m in s.messages),
        sum(c.result_content is not None for m in s.messages for c in m.tool_calls),
        sum(m.has_thinking for m in s.messages),
        sum(u.input_tokens for u in usage),
        sum(u.output_tokens for u in usage),
        sum(u.cache_read_tokens for u in usage),
        sum(u.cache_creation_tokens for u in usage),
    )


def well_formed(s: Session) -> None:
    """What every parsed session must satisfy, whatever the agent."""
    assert [m.ordinal for m in s.messages] == list(range(len(s.messages)))
    assert s.session_id.startswith(f"{s.agent}:") or s.agent == "claude"
    if s.started_at and s.ended_at:
        assert s.started_at <= s.ended_at
    for m in s.messages:
        assert m.content.strip() or m.tool_calls
        assert [c.call_index for c in m.tool_calls] == list(range(len(m.tool_calls)))


def build_databases(root: Path) -> list[Path]:
    """Build every ``build.sql`` below ``root`` (a copy of a corpus folder) into its database file.

    The script's first comment lines name the file (e.g. ``-- opencode.db``); the
    database is written next to the script, as it lies on disk.
    """
    built = []
    for script in sorted(root.rglob("build.sql")):
        text = script.read_text()
        name = _database_name(text, script)
        db = script.parent / name
        con = sqlite3.connect(db)
        try:
            con.executescript(text)
        finally:
            con.close()
        built.append(db)
    return built


def _database_name(text: str, script: Path) -> str:
    for line in text.splitlines()[:10]:
        line = line.strip()
        if not line.startswith("--"):
            break
        for word in line.lstrip("-").replace(",", " ").replace("`", " ").split():
            if word.endswith((".db", ".sqlite", ".sqlite3", ".vscdb")) and "/" not in word:
                return word
    raise AssertionError(f"{script}: no database file named in its first comment lines")
