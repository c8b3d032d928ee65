"""Where the local stack keeps its files.

Everything lives in the user's data directory (``$AV_DATA_DIR``, else
``$XDG_DATA_HOME/av-cloud``, else ``~/.local/share/av-cloud``) — except the
PostgreSQL cluster when we run as root: PostgreSQL refuses to run as root, and
the ``postgres`` user cannot enter root's 0700 home, so the cluster then lives
in ``/var/lib/av-cloud/pg-<hash of the data dir>`` owned by ``postgres``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT_CLUSTER_PARENT = Path("/var/lib/av-cloud")


def data_dir() -> Path:
    if os.environ.get("AV_DATA_DIR"):
        return Path(os.environ["AV_DATA_DIR"]).expanduser().resolve()
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "av-cloud"


def cluster_dir(data: Path) -> Path:
    if os.geteuid() != 0:
        return data / "postgres"
    digest = hashlib.sha256(str(data).encode()).hexdigest()[:10]
    return ROOT_CLUSTER_PARENT / f"pg-{digest}"
