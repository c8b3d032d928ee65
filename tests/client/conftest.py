"""Client-test fixtures: a real ingest server over TLS, and source dirs under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client.ingest_server import Ingest, serve_ingest


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home directory: every source's default location finds nothing."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def sources_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_home: Path) -> Path:
    """Claude logs under tmp_path/claude; every other source finds nothing (an empty home)."""
    root = tmp_path / "claude"
    root.mkdir()
    monkeypatch.setenv("CLAUDE_PROJECTS_DIR", str(root))
    return root


@pytest.fixture
def ingest(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sources_root: Path) -> Iterator[Ingest]:
    with serve_ingest(db, tmp_path / "tls") as server:
        server.env(monkeypatch)
        yield server
