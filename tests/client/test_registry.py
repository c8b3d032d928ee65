"""The source registry: one loop over every source finds and parses everything."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import orjson
import pytest

from client.sources import registry
from client.sources.base import Source
from client.sources.paths import anywhere, linux, macos, windows
from client.sources.registry import SOURCES, agent_names, get_source, native_sources, sources
from tests.client import claude_lines as cl
from tests.client import codex_lines as cx
from tests.client.test_agentsview_db import make_db


def _home(tmp_path: Path, monkeypatch) -> None:
    claude = tmp_path / "claude"
    cl.write(
        claude / "-home-demo-projects-widget" / f"{cl.SID}.jsonl",
        [cl.user("hi"), cl.assistant([cl.text_block("hello")])],
    )
    codex = tmp_path / "codex"
    cx.write(codex / "2026/01/05/rollout-a.jsonl", [cx.meta(), cx.user("go"), cx.assistant("ok")])
    cx.write(
        codex / "2026/01/05/rollout-b.jsonl",
        [cx.meta(sid="exec-1", originator="codex_exec"), cx.user("go"), cx.assistant("ok")],
    )
    gemini = tmp_path / "gemini"
    chat = gemini / "tmp" / "proj" / "chats" / "session-1.json"
    chat.parent.mkdir(parents=True)
    chat.write_bytes(orjson.dumps({"sessionId": "g1", "messages": [{"type": "user", "content": "q"}]}))
    make_db(tmp_path / "sessions.db")
    monkeypatch.setenv("CLAUDE_PROJECTS_DIR", str(claude))
    monkeypatch.setenv("CODEX_SESSIONS_DIR", str(codex))
    monkeypatch.setenv("GEMINI_DIR", str(gemini))
    monkeypatch.setenv("AGENTSVIEW_DB", str(tmp_path / "sessions.db"))


def test_shape_and_names():
    names = [s.name for s in SOURCES]
    assert names[:3] == ["claude", "codex", "gemini"] and names[-1] == "agentsview"
    assert len(set(names)) == len(names) and len({s.env_var for s in SOURCES}) == len(SOURCES)
    assert [s.kind for s in SOURCES] == ["native"] * (len(SOURCES) - 1) + ["import"]
    assert [s.name for s in native_sources()] == names[:-1] == list(agent_names())
    assert get_source("codex") is SOURCES[1]
    for s in SOURCES:
        assert re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", s.name)  # the protocol's agent pattern
        assert s.label and s.env_var
        # Aider has no central store: its history files lie in each repository (AIDER_DIR).
        assert (s.default_roots("linux") and s.default_roots("macos")) or s.name == "aider"
    with pytest.raises(KeyError):
        get_source("nope")


def test_an_override_replaces_the_defaults_and_defaults_follow_the_os(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    source = Source(
        "demo",
        "Demo",
        "DEMO_DIR",
        (linux("{data}/demo"), macos("{appsup}/Demo"), windows("{appdata}/Demo"), anywhere(".demo")),
        lambda root: sorted(root.glob("*.log")) if root.is_dir() else [],
        lambda path: ([], []),
    )
    assert source.default_roots("linux") == [tmp_path / ".local/share/demo", tmp_path / ".demo"]
    assert source.default_roots("macos") == [
        tmp_path / "Library/Application Support/Demo",
        tmp_path / ".demo",
    ]
    assert source.default_roots("windows") == [tmp_path / "AppData/Roaming/Demo", tmp_path / ".demo"]
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "roaming"))
    assert source.default_roots("linux")[0] == tmp_path / "xdg" / "demo"
    assert source.default_roots("windows")[0] == tmp_path / "roaming" / "Demo"
    (tmp_path / ".demo").mkdir()
    (tmp_path / ".demo" / "a.log").write_text("x")
    monkeypatch.setattr("client.sources.base.this_os", lambda: "linux")
    assert list(source.files()) == [tmp_path / ".demo" / "a.log"]
    assert source.found() == [(tmp_path / ".demo", 1)]
    monkeypatch.setenv("DEMO_DIR", "~/elsewhere")  # replaces every default; ~ is the home
    assert source.roots() == [tmp_path / "elsewhere"] and list(source.files()) == []
    monkeypatch.setenv("DEMO_DIR", "   ")  # blank is unset
    assert source.roots()[0] == tmp_path / "xdg" / "demo"


def test_one_loop_over_every_source(tmp_path, monkeypatch):
    _home(tmp_path, monkeypatch)
    found: dict[str, list[str]] = {}
    for source in SOURCES:
        for path in source.discover(source.default_root()):
            sessions, problems = source.parse(path)
            assert problems == []
            found.setdefault(source.name, []).extend(s.session_id for s in sessions)
    assert found == {
        "claude": [cl.SID],
        "codex": [f"codex:{cx.SID}"],
        "gemini": ["gemini:g1"],
        "agentsview": ["abc-123", "codex:fc-1"],
    }


def test_codex_exec_opt_in(tmp_path, monkeypatch):
    _home(tmp_path, monkeypatch)
    codex = {s.name: s for s in sources(include_codex_exec=True)}["codex"]
    got, _ = codex.collect()
    assert sorted(s.session_id for s in got) == [f"codex:{cx.SID}", "codex:exec-1"]


def test_missing_roots_discover_nothing(tmp_path, monkeypatch):
    for source in SOURCES:
        monkeypatch.setenv(source.env_var, str(tmp_path / "absent"))
        assert source.default_root() == tmp_path / "absent"
        assert source.discover(source.default_root()) == []
        assert source.collect() == ([], [])
        assert source.found() == []


def test_database_problems_surface_through_the_loop(tmp_path, monkeypatch):
    db = tmp_path / "broken.db"
    sqlite3.connect(db).close()  # an empty database: no agentsview tables
    monkeypatch.setenv("AGENTSVIEW_DB", str(db))
    sessions, problems = registry.get_source("agentsview").collect()
    assert sessions == [] and len(problems) == 1
