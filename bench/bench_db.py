"""The benchmark's database: a throwaway cluster, or one kept in a directory and reused.

Loading and indexing a million messages takes 10-20 minutes on two cores, so
``viewer_bench.py --db-dir DIR`` keeps its cluster in DIR. A later run with the same data
parameters starts that cluster, applies any new migrations, lets the indexer catch up (a
migration may ask for re-indexing) and measures; other parameters, or no state file, load
afresh. The state file records the parameters, the port and the roles' passwords.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from avcore.schema import INGEST_ROLE, VIEWER_ROLE
from infra.migrate import migrate
from infra.pgcluster import Cluster, free_port
from infra.roles import ensure_roles

DATABASE = "av_bench"


@dataclass
class BenchDatabase:
    admin_dsn: str
    viewer_dsn: str
    ingest_dsn: str
    reused: bool  # the data was loaded by an earlier run

    @contextmanager
    def admin(self) -> Iterator[psycopg.Connection]:
        with psycopg.connect(
            self.admin_dsn, autocommit=True, options="-c search_path=av -c TimeZone=UTC"
        ) as c:
            yield c


@contextmanager
def throwaway() -> Iterator[BenchDatabase]:
    from tests.pg import create_database, prepare_template, start_server

    with start_server() as server:
        prepare_template(server)
        db = create_database(server)
        yield BenchDatabase(db.admin_dsn, db.viewer_dsn, db.ingest_dsn, reused=False)


@contextmanager
def kept(db_dir: Path, dataset: dict[str, Any]) -> Iterator[BenchDatabase]:
    """A cluster in ``db_dir``, reused when it holds ``dataset`` (call ``mark_loaded`` after loading)."""
    state_file = db_dir / "state.json"
    state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}
    reused = state.get("dataset") == dataset and state.get("loaded") is True
    if not reused:
        if db_dir.exists():
            old = Cluster(base=db_dir / "pg", port=int(state.get("port", 0)) or free_port())
            if old.initialized():
                old.stop("immediate")
            shutil.rmtree(db_dir)
        db_dir.mkdir(parents=True)
        state = {
            "dataset": dataset,
            "loaded": False,
            "port": free_port(),
            "ingest_password": secrets.token_urlsafe(18),
            "viewer_password": secrets.token_urlsafe(18),
        }
        state_file.write_text(json.dumps(state, indent=2))
    cluster = Cluster(base=db_dir / "pg", port=int(state["port"]), fast_unsafe=True)
    if not cluster.initialized():
        cluster.init()
    if not cluster.running():
        cluster.start()
    try:
        with psycopg.connect(cluster.socket_dsn(), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        with psycopg.connect(cluster.socket_dsn(dbname=DATABASE), autocommit=True) as conn:
            ensure_roles(
                conn, ingest_password=state["ingest_password"], viewer_password=state["viewer_password"]
            )
            migrate(conn)
        yield BenchDatabase(
            cluster.socket_dsn(dbname=DATABASE),
            cluster.tcp_dsn(VIEWER_ROLE, state["viewer_password"], DATABASE),
            cluster.tcp_dsn(INGEST_ROLE, state["ingest_password"], DATABASE),
            reused=reused,
        )
    finally:
        cluster.stop("fast")


def mark_loaded(db_dir: Path, counts: dict[str, Any]) -> None:
    state_file = db_dir / "state.json"
    state = json.loads(state_file.read_text())
    state.update(loaded=True, counts=counts)
    state_file.write_text(json.dumps(state, indent=2))


def loaded_counts(db_dir: Path) -> dict[str, Any]:
    return dict(json.loads((db_dir / "state.json").read_text()).get("counts", {}))
