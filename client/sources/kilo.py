"""Kilo Code (``kilo``), the CLI and the rebuilt extension (2026-03 onwards): the OpenCode store.

``~/.local/share/kilo`` holds ``kilo.db`` (OpenCode's tables) and/or the
``storage/`` JSON tree; a session in both is read from ``storage/``. Everything
in :mod:`client.sources.opencode_store` applies (a text part may carry its text
under ``content``). The older extension's tasks are ``kilo-legacy``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from client.sources.base import Source
from client.sources.paths import anywhere

from .opencode_store import discover_store, parse_store_path, store_dependencies

DATABASE = "kilo.db"


def discover_kilo(root: Path) -> list[Path]:
    return discover_store(root, DATABASE)


SOURCE = Source(
    name="kilo",
    label="Kilo Code",
    env_var="KILO_DIR",
    locations=(anywhere("{data}/kilo"),),
    discover=discover_kilo,
    parse=partial(parse_store_path, agent="kilo", database=DATABASE),
    depends=store_dependencies(DATABASE),
)
