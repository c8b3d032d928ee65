"""The real ingest app under uvicorn with TLS (a test CA) in a thread, plus a device token.

Client tests talk to it exactly as av-client talks to a deployment: HTTPS with
verification against ``AV_CA_BUNDLE``, gzip bodies, real PostgreSQL behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from avcore.settings import IngestSettings
from infra.credentials import add_device
from infra.local.ca import LocalCA
from tests.pg import TestDatabase
from tests.viewer.browser_helpers import free_port


@dataclass
class Ingest:
    url: str
    token: str
    ca_bundle: Path
    db: TestDatabase

    def env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AV_ENDPOINT", self.url)
        monkeypatch.setenv("AV_TOKEN", self.token)
        monkeypatch.setenv("AV_CA_BUNDLE", str(self.ca_bundle))

    def rows(self, sql: str, *params: object) -> list[tuple]:
        with self.db.admin() as conn:
            return conn.execute(sql, params).fetchall()


@contextmanager
def serve_ingest(db: TestDatabase, tls_dir: Path, *, machine: str = "laptop") -> Iterator[Ingest]:
    from ingest_fn.app import create_app

    with db.admin() as conn:
        device = add_device(conn, machine=machine)
    ca = LocalCA(tls_dir)
    ca.ensure()
    app = create_app(IngestSettings(database_url=db.ingest_dsn, environment="local"))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            ssl_keyfile=str(ca.server_key),
            ssl_certfile=str(ca.server_cert),
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, name=f"ingest-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the ingest server did not start")
        time.sleep(0.02)
    try:
        yield Ingest(f"https://localhost:{port}", device.token, ca.ca_cert, db)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.db.close()
