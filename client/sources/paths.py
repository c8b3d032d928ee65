"""Where a source's logs live: an environment variable, else a path under the home directory."""

from __future__ import annotations

import os
from pathlib import Path


def env_or_home(var: str, *under_home: str) -> Path:
    """``$var`` (``~`` expanded) when set, else ``~/<under_home...>``; read at call time."""
    value = os.environ.get(var)
    return Path(value).expanduser() if value else Path.home().joinpath(*under_home)
