"""Start and stop a PostgreSQL cluster from the machine's own binaries.

Used by the local stack (a persistent cluster) and by the test harness (a
throwaway one). PostgreSQL refuses to run as root, so when we are root the
binaries run as the ``postgres`` system user; the Python process stays as it is.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class ClusterError(RuntimeError):
    """The cluster could not be created, started or stopped."""


def find_bindir() -> Path:
    """The newest PostgreSQL bin directory on this machine (or $AV_PG_BINDIR)."""
    if os.environ.get("AV_PG_BINDIR"):
        return Path(os.environ["AV_PG_BINDIR"])
    candidates = sorted(
        glob.glob(PG_BIN_GLOB), key=lambda p: [int(x) for x in p.split("/")[-2].split(".") if x.isdigit()]
    )
    for candidate in reversed(candidates):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise ClusterError(
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH); "
        "install them with `apt-get install postgresql` or set AV_PG_BINDIR"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> dict[str, Any]:
    if os.geteuid() != 0:
        return {}
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise ClusterError("running as root needs a 'postgres' system user to run PostgreSQL") from None
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def chown_for_server(path: Path) -> None:
    """Give a path to the user PostgreSQL runs as (a no-op when not root)."""
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(path, pw.pw_uid, pw.pw_gid)


@dataclass
class Cluster:
    """A cluster in ``base`` (data in ``base/data``, socket and log beside it)."""

    base: Path
    port: int
    ssl_cert: Path | None = None
    ssl_key: Path | None = None
    hostssl_only: bool = False
    fast_unsafe: bool = False

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "postgres.log"

    def _run(self, args: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(args, capture_output=True, text=True, cwd=self.base, **_run_as(), **kw)
        if result.returncode != 0:
            raise ClusterError(
                f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip()[-2000:]}"
            )
        return result

    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self, superuser: str = "postgres") -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o700)
        chown_for_server(self.base)
        bindir = find_bindir()
        self._run(
            [
                str(bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                superuser,
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        hba = self.data / "pg_hba.conf"
        # Trust only the Unix socket (guarded by the directory's 0700 mode); TCP needs a password.
        lines = [
            "local all all trust",
            ("hostssl" if self.hostssl_only else "host") + " all all 127.0.0.1/32 scram-sha-256",
            ("hostssl" if self.hostssl_only else "host") + " all all ::1/128 scram-sha-256",
        ]
        hba.write_text("\n".join(lines) + "\n")

    def running(self) -> bool:
        if not (self.data / "postmaster.pid").exists():
            return False
        result = subprocess.run(
            [str(find_bindir() / "pg_ctl"), "-D", str(self.data), "status"],
            capture_output=True,
            text=True,
            cwd=self.base,
            **_run_as(),
        )
        return result.returncode == 0

    def start(self) -> None:
        opts = [f"-p {self.port}", f"-k {self.base}", "-c listen_addresses=127.0.0.1"]
        if self.fast_unsafe:
            opts += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        if self.ssl_cert and self.ssl_key:
            opts += ["-c ssl=on", f"-c ssl_cert_file={self.ssl_cert}", f"-c ssl_key_file={self.ssl_key}"]
        self._run(
            [
                str(find_bindir() / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "-o",
                " ".join(opts),
                "start",
            ]
        )

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            self._run([str(find_bindir() / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def socket_dsn(self, user: str = "postgres", dbname: str = "postgres") -> str:
        """Superuser access over the Unix socket (trusted, local only)."""
        return f"host={self.base} port={self.port} user={user} dbname={dbname}"

    def tcp_dsn(self, user: str, password: str, dbname: str = "postgres", **extra: str) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(
            "", host="127.0.0.1", port=str(self.port), user=user, password=password, dbname=dbname, **extra
        )
