"""The viewer servers ``web_bench.py`` measures: each its own process, started as the local stack
(``av-admin local up``) starts it, so the figures are the local stack's, not a test harness's.

A build to measure is one of:
- **this tree** (the default): ``infra.local.servers.viewer_command``, the server and page of
  this checkout;
- **another source tree** (``--against DIR`` where ``DIR/viewer_fn/app.py`` exists, e.g.
  ``git archive main | tar -x -C DIR`` plus its built ``viewer_fn/site``): that tree's app and
  page, under that tree's own local-stack command (its ``infra/local/servers.py``, or uvicorn
  over HTTP/1.1 for trees from before it, as their ``infra/local/stack.py`` ran it);
- **another built page** (``--against DIR`` where ``DIR/index.html`` exists: a copy of another
  commit's ``viewer_fn/site``): this tree's server and app, serving that page
  (``bench/web_site.py``).
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from infra.local.ca import LocalCA
from infra.local.servers import VIEWER_APP, viewer_command
from infra.pgcluster import free_port

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 60.0
# What infra/local/stack.py ran before infra/local/servers.py existed (main up to 2026-12-07 20:30).
UVICORN_BEFORE = [
    "-m",
    "uvicorn",
    VIEWER_APP,
    "--factory",
    "--host",
    "127.0.0.1",
    "--port",
    "{port}",
    "--ssl-keyfile",
    "{key}",
    "--ssl-certfile",
    "{cert}",
    "--log-level",
    "warning",
    "--no-access-log",
]
# Asks another tree for its local stack's viewer command (run with that tree first on sys.path).
ASK_TREE = (
    "import json, sys; from infra.local.servers import viewer_command; "
    "print(json.dumps(viewer_command(int(sys.argv[1]), sys.argv[2], sys.argv[3])))"
)


@dataclass(frozen=True)
class Build:
    """What one side of the comparison serves: a source tree, and a page to serve instead of its own."""

    name: str
    tree: Path
    site: Path | None = None


def build_of(name: str, path: Path) -> Build:
    """``--against``'s argument: a source tree, or a built page (see the module's docstring)."""
    path = path.resolve()
    if (path / "viewer_fn" / "app.py").is_file():
        if not (path / "viewer_fn" / "site" / "index.html").is_file():
            raise ValueError(f"{path}: its viewer_fn/site is not built (copy or build it there)")
        return Build(name, path)
    if (path / "index.html").is_file():
        return Build(name, REPO, site=path)
    raise ValueError(f"{path}: neither a source tree (viewer_fn/app.py) nor a built page (index.html)")


def command(build: Build, port: int, cert: Path, key: Path) -> list[str]:
    if build.tree == REPO:
        argv = viewer_command(port, cert, key)
        if build.site is not None:  # the same server, serving the other page
            argv = [("bench.web_site:serving_app" if a == VIEWER_APP else a) for a in argv]
        return argv
    if (build.tree / "infra" / "local" / "servers.py").is_file():
        out = subprocess.run(
            [sys.executable, "-c", ASK_TREE, str(port), str(cert), str(key)],
            cwd=build.tree,
            env={**os.environ, "PYTHONPATH": str(build.tree)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return list(json.loads(out))
    fields = {"port": str(port), "cert": str(cert), "key": str(key)}
    return [sys.executable, *(a.format(**fields) for a in UVICORN_BEFORE)]


@contextmanager
def serve(build: Build, viewer_dsn: str, tls_dir: Path, session_secret: str) -> Iterator[str]:
    """The build's viewer in its own process, as the local stack starts it; yields its URL
    (ending with ``/``) once it answers; the process group is stopped on exit."""
    ca = LocalCA(tls_dir)
    ca.ensure()
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(build.tree),  # before the editable install: that tree's packages
        "AV_DATABASE_URL": viewer_dsn,
        "AV_ENVIRONMENT": "local",
        "AV_DB_POOL_SIZE": "4",  # as infra/local/stack.py
        "AV_SESSION_SECRET": session_secret,
    }
    if build.site is not None:
        env["AV_BENCH_SITE"] = str(build.site)
    log = tls_dir.parent / f"server-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command(build, port, ca.server_cert, ca.server_key),
            cwd=build.tree,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"https://localhost:{port}/"  # the name the local CA's certificate holds
    try:
        _wait_for(proc, url, ca, log)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_for(proc: subprocess.Popen[bytes], url: str, ca: LocalCA, log: Path) -> None:
    verify = ssl.create_default_context(cafile=str(ca.ca_cert))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the viewer server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, verify=verify, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the viewer server did not answer within {START_TIMEOUT_S:.0f} s: {log}")
