"""Build hooks for the av-client wheel: the packages and the version come from the repository root.

In the repository, ``client/`` and ``avprotocol/`` are two levels up; in an sdist built from it
they sit beside this file (the sdist hook copies them there), so both ``python -m build`` and
``pip install ./packaging/av-client`` work. Compiled files and caches are never shipped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.metadata.plugin.interface import MetadataHookInterface

PACKAGES = ("client", "avprotocol")


def _package_dir(root: str, name: str) -> Path:
    here = Path(root)
    return here / name if (here / name).is_dir() else here.parents[1] / name


class CustomMetadataHook(MetadataHookInterface):
    def update(self, metadata: dict[str, Any]) -> None:
        source = (_package_dir(self.root, "avprotocol") / "__init__.py").read_text()
        found = re.search(r'^__version__(?:: Final)? = "([^"]+)"', source, re.M)
        if found is None:
            raise ValueError("avprotocol/__init__.py defines no __version__")
        metadata["version"] = found.group(1)


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        for name in PACKAGES:
            top = _package_dir(self.root, name)
            for path in sorted(top.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}:
                    build_data["force_include"][str(path)] = f"{name}/{path.relative_to(top)}"
