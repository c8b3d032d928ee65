"""``av-admin local up|down|env``: the whole product on one machine, no AWS, no Docker.

``up`` is idempotent: it reuses a running cluster, servers and valid credentials,
and (re)creates whatever is missing. State (ports, role passwords, the session
secret, process ids, the stack's id and its cluster's directory) is kept in
``state.json`` (0600) in the data directory; tokens in 0600 files beside it.
A new data directory always gets a new cluster: ``up`` starts only a cluster
marked with its own stack id (:mod:`infra.local.paths`). ``reset`` stops
everything, deletes the cluster and what ``up`` wrote, and brings up a fresh stack.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from avcore.schema import INGEST_ROLE, VIEWER_ROLE
from avcore.tokens import token_hash
from infra.credentials import add_device, add_viewer
from infra.local import servers
from infra.local.ca import LocalCA, write_private
from infra.local.paths import clusters_of_path, data_dir, legacy_cluster_dir, new_cluster_dir
from infra.migrate import migrate
from infra.pgcluster import Cluster, chown_for_server, free_port
from infra.roles import ensure_roles

DATABASE = "avcloud"
SERVER_START_TIMEOUT_S = 30.0
MACHINE_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
OWNER_FILE = "owner"  # in the cluster's directory: the id of the stack that created it
# What `up` writes in the data directory, and `reset` deletes (never the directory wholesale:
# AV_DATA_DIR may point at a directory holding other things).
STACK_ENTRIES = ("state.json", "device.token", "viewer.token", "tls", "logs", "postgres")


class StackError(RuntimeError):
    """The local stack could not be brought up; the message says what failed."""


@dataclass
class Stack:
    data: Path

    @classmethod
    def default(cls) -> Stack:
        return cls(data_dir())

    # -- state ---------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.data / "state.json"

    def state(self) -> dict[str, Any]:
        if not self.state_file.exists():
            return {}
        return dict(json.loads(self.state_file.read_text()))

    def save(self, state: dict[str, Any]) -> None:
        write_private(self.state_file, json.dumps(state, indent=2))

    @property
    def ca(self) -> LocalCA:
        return LocalCA(self.data / "tls")

    def cluster_base(self, state: dict[str, Any]) -> Path:
        # A state without "cluster_dir" was written by an earlier release, whose cluster
        # is at the path-only location.
        return Path(state["cluster_dir"]) if state.get("cluster_dir") else legacy_cluster_dir(self.data)

    def cluster(self, state: dict[str, Any]) -> Cluster:
        base = self.cluster_base(state)
        return Cluster(
            base=base, port=int(state["pg_port"]), ssl_cert=base / "server.crt", ssl_key=base / "server.key"
        )

    # -- up ------------------------------------------------------------------
    def up(self, *, machine: str | None = None, say: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Bring the stack up; ``say`` is told what `up` did beyond starting what was missing
        (a server of another kind restarted)."""
        self.data.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data, 0o700)
        state = self.state()
        if not state:  # a new data directory: a new cluster, never one an earlier one left behind
            state["cluster_dir"] = str(new_cluster_dir(self.data))
        state.setdefault("cluster_dir", str(legacy_cluster_dir(self.data)))
        state.setdefault("stack_id", secrets.token_hex(8))
        state.setdefault("pg_port", free_port())
        state.setdefault("ingest_port", free_port())
        state.setdefault("viewer_port", free_port())
        state.setdefault("ingest_password", secrets.token_urlsafe(24))
        state.setdefault("viewer_password", secrets.token_urlsafe(24))
        state.setdefault("session_secret", secrets.token_urlsafe(48))
        state.setdefault("machine", machine or _machine_name())
        self.save(state)
        self.ca.ensure()
        cluster = self._start_cluster(state)
        self._prepare_database(cluster, state)
        self._ensure_credentials(cluster, state)
        for name in ("ingest", "viewer"):
            self._ensure_server(name, state, say or _silent)
        self._ensure_indexer(state)
        self.save(state)
        return state

    def _start_cluster(self, state: dict[str, Any]) -> Cluster:
        cluster = self.cluster(state)
        owner = cluster.base / OWNER_FILE
        if not cluster.initialized():
            if cluster.base.exists():
                shutil.rmtree(cluster.base)  # a half-made cluster from an interrupted run
            cluster.base.parent.mkdir(parents=True, exist_ok=True)
            cluster.init()
        elif owner.exists() and owner.read_text().split()[0] != state["stack_id"]:
            raise StackError(
                f"the PostgreSQL cluster in {cluster.base} belongs to another local stack "
                f"({owner.read_text().strip()}); refusing to adopt it and its sessions. "
                "Run `av-admin local reset` to start this one afresh"
            )
        owner.write_text(f"{state['stack_id']} {self.data}\n")  # (a cluster from before marks: adopted)
        for src, dst in ((self.ca.server_cert, cluster.ssl_cert), (self.ca.server_key, cluster.ssl_key)):
            assert dst is not None
            shutil.copy(src, dst)
            os.chmod(dst, 0o600)
            chown_for_server(dst)
        if not cluster.running():
            cluster.start()
        return cluster

    def _admin(self, cluster: Cluster, dbname: str = DATABASE) -> psycopg.Connection:
        return psycopg.connect(cluster.socket_dsn(dbname=dbname), autocommit=True)

    def _prepare_database(self, cluster: Cluster, state: dict[str, Any]) -> None:
        with self._admin(cluster, "postgres") as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        with self._admin(cluster) as conn:
            ensure_roles(
                conn, ingest_password=state["ingest_password"], viewer_password=state["viewer_password"]
            )
            migrate(conn)

    def _token_valid(self, conn: psycopg.Connection, table: str, path: Path) -> bool:
        if not path.exists():
            return False
        query = sql.SQL("SELECT 1 FROM av.{} WHERE token_hash = %s AND revoked_at IS NULL").format(
            sql.Identifier(table)
        )
        return conn.execute(query, (token_hash(path.read_text().strip()),)).fetchone() is not None

    def _ensure_credentials(self, cluster: Cluster, state: dict[str, Any]) -> None:
        with self._admin(cluster) as conn:
            conn.execute("SET search_path = av")
            if not self._token_valid(conn, "devices", self.device_token_file):
                issued = add_device(conn, machine=state["machine"], name=f"{state['machine']} (local stack)")
                write_private(self.device_token_file, issued.token)
            if not self._token_valid(conn, "viewer_credentials", self.viewer_token_file):
                issued = add_viewer(conn, name="local stack")
                write_private(self.viewer_token_file, issued.token)

    @property
    def device_token_file(self) -> Path:
        return self.data / "device.token"

    @property
    def viewer_token_file(self) -> Path:
        return self.data / "viewer.token"

    def _dsn(self, state: dict[str, Any], role: str) -> str:
        password = state["ingest_password"] if role == INGEST_ROLE else state["viewer_password"]
        return make_conninfo(
            "",
            host="localhost",
            port=str(state["pg_port"]),
            dbname=DATABASE,
            user=role,
            password=password,
            sslmode="verify-full",
            sslrootcert=str(self.ca.ca_cert),
        )

    def _pid_alive(self, pid: int | None) -> bool:
        if not pid:
            return False
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return False  # our own child, now exited and reaped
        except ChildProcessError:
            pass  # not our child (started by an earlier `local up`)
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True

    def _ensure_server(self, name: str, state: dict[str, Any], say: Callable[[str], None]) -> None:
        port = state[f"{name}_port"]
        pid = state.get(f"{name}_pid")
        kind = servers.kind(name)
        ran = (state.get(f"{name}_server") or {}).get("kind")
        if pid and self._pid_alive(pid) and ran != kind and _runs_app(pid, name, port):
            # Started by an earlier release: an upgrade changes the code, not the process, and
            # this one would keep serving (as uvicorn, say, when this release runs Granian).
            # Only a process that is provably that server is stopped: after a reboot the recorded
            # pid may belong to anything.
            self._stop(pid)
            was = f"it ran {ran}" if ran else "started by a release that did not record its server"
            say(f"restarted the {name} server ({was}): it now runs {kind}")
        elif self._pid_alive(pid) and self._healthy(name, port):
            return
        role = INGEST_ROLE if name == "ingest" else VIEWER_ROLE
        env = {
            **os.environ,
            "AV_DATABASE_URL": self._dsn(state, role),
            "AV_ENVIRONMENT": "local",
            "AV_DB_POOL_SIZE": "4",
            "AV_SESSION_SECRET": state["session_secret"],
        }
        logs = self.data / "logs"
        logs.mkdir(exist_ok=True)
        log_file = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child process
        command = servers.command(name, port, self.ca.server_cert, self.ca.server_key)
        proc = subprocess.Popen(
            command,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.data,
        )
        state[f"{name}_pid"] = proc.pid
        state[f"{name}_server"] = {"kind": kind, "command": command}
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise StackError(
                    f"the {name} server exited with code {proc.returncode}; see {logs / (name + '.log')}"
                )
            if self._healthy(name, port):
                return
            time.sleep(0.2)
        raise StackError(
            f"the {name} server did not answer within {SERVER_START_TIMEOUT_S:.0f} s; "
            f"see {logs / (name + '.log')}"
        )

    def _ensure_indexer(self, state: dict[str, Any]) -> None:
        """The search indexer (ingest_fn/indexer.py) as a loop beside the servers."""
        if self._pid_alive(state.get("indexer_pid")):
            return
        env = {**os.environ, "AV_DATABASE_URL": self._dsn(state, INGEST_ROLE), "AV_ENVIRONMENT": "local"}
        logs = self.data / "logs"
        logs.mkdir(exist_ok=True)
        log_file = open(logs / "indexer.log", "ab")  # noqa: SIM115 - handed to the child process
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingest_fn.indexer", "--every", "2"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.data,
        )
        time.sleep(0.3)
        if proc.poll() is not None:
            raise StackError(
                f"the search indexer exited with code {proc.returncode}; see {logs / 'indexer.log'}"
            )
        state["indexer_pid"] = proc.pid

    def _stop(self, pid: int) -> None:
        """Stop a server's process group: SIGTERM, then SIGKILL if it lingers past 5 s."""
        _signal_group(pid, signal.SIGTERM)
        for _ in range(50):
            if not self._pid_alive(pid):
                return
            time.sleep(0.1)
        _signal_group(pid, signal.SIGKILL)

    def _healthy(self, name: str, port: int) -> bool:
        path = "/v1/health" if name == "ingest" else "/"
        ctx = ssl.create_default_context(cafile=str(self.ca.ca_cert))
        try:
            return httpx.get(f"https://localhost:{port}{path}", verify=ctx, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    # -- env / down ----------------------------------------------------------
    def env(self) -> dict[str, str]:
        state = self.state()
        if not state or not self.device_token_file.exists():
            raise StackError("the local stack has not been set up; run `av-admin local up`")
        return {
            "AV_ENDPOINT": f"https://localhost:{state['ingest_port']}",
            "AV_TOKEN": self.device_token_file.read_text().strip(),
            "AV_CA_BUNDLE": str(self.ca.ca_cert),
            "AV_VIEWER_URL": f"https://localhost:{state['viewer_port']}/",
            "AV_VIEWER_TOKEN": self.viewer_token_file.read_text().strip(),
        }

    def down(self) -> list[str]:
        state = self.state()
        stopped = []
        for name in ("ingest", "viewer", "indexer"):
            pid = state.pop(f"{name}_pid", None)
            state.pop(f"{name}_server", None)
            if self._pid_alive(pid):
                self._stop(pid)
                stopped.append(name)
        if state.get("pg_port"):
            cluster = self.cluster(state)
            if cluster.initialized() and cluster.running():
                cluster.stop()
                stopped.append("postgres")
        if state:
            self.save(state)
        return stopped

    # -- reset ----------------------------------------------------------------
    def reset(self, *, machine: str | None = None) -> tuple[dict[str, Any], list[Path]]:
        """Stop everything, delete the cluster and what `up` wrote, and bring up a fresh stack.

        Also removes the clusters earlier data directories at this path left behind (the
        one a fresh data directory used to adopt, among them). Returns the new state and
        what was deleted.
        """
        state = self.state()
        self.down()
        removed: list[Path] = []
        bases = set(clusters_of_path(self.data))
        if state:
            bases.add(self.cluster_base(state))
        for base in sorted(bases):
            if base.exists():
                Cluster(base=base, port=0).stop()  # an orphan may still be running
                shutil.rmtree(base)
                removed.append(base)
        for name in STACK_ENTRIES:
            entry = self.data / name
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
                removed.append(entry)
            elif entry.exists() or entry.is_symlink():
                entry.unlink()
                removed.append(entry)
        return self.up(machine=machine or state.get("machine")), removed


def _silent(line: str) -> None:
    pass


def _machine_name() -> str:
    import socket

    raw = socket.gethostname().split(".")[0]
    name = "".join(c if c in MACHINE_CHARS else "-" for c in raw).strip("-._")[:63]
    return name if name and name != "local" else "this-machine"


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal a server's process group; one that has just exited on its own is already stopped."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def _runs_app(pid: int, name: str, port: int) -> bool:
    """Whether process ``pid`` is the local stack's ``name`` server on ``port``, by its command line
    (``/proc`` on Linux, ``ps`` elsewhere): the app it serves and its port, as any release's
    server command names them. Unknown (no such process, no ``ps``): not ours."""
    app = servers.INGEST_APP if name == "ingest" else servers.VIEWER_APP
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        words = [a.decode(errors="replace") for a in args if a]
    except OSError:
        try:
            out = subprocess.run(
                ["ps", "-ww", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, timeout=5
            )
        except (OSError, subprocess.SubprocessError):
            return False
        words = out.stdout.split()
    return app in words and str(port) in words
