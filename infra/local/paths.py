"""Where the local stack keeps its files.

Everything lives in the user's data directory (``$AV_DATA_DIR``, else
``$XDG_DATA_HOME/av-cloud``, else ``~/.local/share/av-cloud``) — except the
PostgreSQL cluster when we run as root: PostgreSQL refuses to run as root, and
the ``postgres`` user cannot enter root's 0700 home, so the cluster then lives
in ``/var/lib/av-cloud/pg-<hash of the data dir path>-<random>``, owned by
``postgres``.

The random part is new to each data directory *instance*: a cluster once named
after the path alone was adopted, with all its sessions, by a fresh data
directory created later at the same path. The stack records its cluster's
directory in its ``state.json`` and marks the cluster with its own id
(``owner`` file), so it never starts a cluster that is not its own.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

ROOT_CLUSTER_PARENT = Path("/var/lib/av-cloud")


def data_dir() -> Path:
    if os.environ.get("AV_DATA_DIR"):
        return Path(os.environ["AV_DATA_DIR"]).expanduser().resolve()
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "av-cloud"


def _path_digest(data: Path) -> str:
    return hashlib.sha256(str(data).encode()).hexdigest()[:10]


def new_cluster_dir(data: Path) -> Path:
    """A cluster directory for a data directory being set up now (never one used before)."""
    if os.geteuid() != 0:
        return data / "postgres"
    return ROOT_CLUSTER_PARENT / f"pg-{_path_digest(data)}-{secrets.token_hex(4)}"


def legacy_cluster_dir(data: Path) -> Path:
    """Where releases before this one put the cluster: named after the data directory's path only."""
    if os.geteuid() != 0:
        return data / "postgres"
    return ROOT_CLUSTER_PARENT / f"pg-{_path_digest(data)}"


def clusters_of_path(data: Path) -> list[Path]:
    """Every cluster directory ever made for a data directory at this path (the current one,
    and those of earlier data directories there, which nothing else will ever use)."""
    if os.geteuid() != 0:
        return [data / "postgres"] if (data / "postgres").exists() else []
    if not ROOT_CLUSTER_PARENT.is_dir():
        return []
    prefix = f"pg-{_path_digest(data)}"
    return sorted(
        p for p in ROOT_CLUSTER_PARENT.iterdir() if p.name == prefix or p.name.startswith(prefix + "-")
    )
