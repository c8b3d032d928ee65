"""OpenCode (``opencode``): ``~/.local/share/opencode`` — ``opencode.db`` and the older ``storage/`` tree.

The format and how it is read: :mod:`client.sources.opencode_store` (shared
with Kilo). OpenCode keeps its data under the XDG data folder on every OS.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from client.sources.base import Source
from client.sources.paths import anywhere

from .opencode_store import discover_store, parse_store_path, store_dependencies

DATABASE = "opencode.db"


def discover_opencode(root: Path) -> list[Path]:
    return discover_store(root, DATABASE)


SOURCE = Source(
    name="opencode",
    label="OpenCode",
    env_var="OPENCODE_DIR",
    locations=(anywhere("{data}/opencode"),),
    discover=discover_opencode,
    parse=partial(parse_store_path, agent="opencode", database=DATABASE),
    depends=store_dependencies(DATABASE),
)
