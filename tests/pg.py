"""The test harness's PostgreSQL: AV_TEST_DSN, else testcontainers, else a throwaway cluster.

One server per test session, with TLS on (a test CA) so TLS tests talk to a real
server. Roles are created once; one migrated template database is cloned for
every test that needs a database, which isolates tests for ~50 ms each.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from avcore.schema import INGEST_ROLE, VIEWER_ROLE
from infra.local.ca import LocalCA
from infra.migrate import migrate
from infra.pgcluster import Cluster, free_port
from infra.roles import ensure_roles

TEMPLATE_DB = "av_test_template"
_counter = itertools.count()


@dataclass
class PgServer:
    admin_dsn: str  # a superuser (or CREATEDB+CREATEROLE) connection
    host: str
    port: int
    ingest_password: str
    viewer_password: str
    ca_cert: Path | None  # the CA that signed the server certificate, when TLS is on
    kind: str
    cluster: Cluster | None = None  # set when the harness started the server itself

    def restart(self) -> None:
        """Restart the server (fast shutdown: every connection is cut)."""
        assert self.cluster is not None, "only a cluster the harness started can be restarted"
        self.cluster.stop("fast")
        self.cluster.start()

    def dsn(self, dbname: str, *, role: str = "admin", **extra: str) -> str:
        if role == "admin":
            return make_conninfo(self.admin_dsn, dbname=dbname, **extra)
        password = self.ingest_password if role == INGEST_ROLE else self.viewer_password
        return make_conninfo(
            "", host=self.host, port=str(self.port), user=role, password=password, dbname=dbname, **extra
        )


@dataclass
class TestDatabase:
    server: PgServer
    name: str

    @property
    def admin_dsn(self) -> str:
        return self.server.dsn(self.name)

    @property
    def ingest_dsn(self) -> str:
        return self.server.dsn(self.name, role=INGEST_ROLE)

    @property
    def viewer_dsn(self) -> str:
        return self.server.dsn(self.name, role=VIEWER_ROLE)

    @contextmanager
    def admin(self) -> Iterator[psycopg.Connection]:
        with psycopg.connect(
            self.admin_dsn, autocommit=True, options="-c search_path=av -c TimeZone=UTC"
        ) as conn:
            yield conn


def _docker_available() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@contextmanager
def start_server() -> Iterator[PgServer]:
    ingest_pw, viewer_pw = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    if os.environ.get("AV_TEST_DSN"):
        dsn = os.environ["AV_TEST_DSN"]
        params = conninfo_to_dict(dsn)
        yield PgServer(
            dsn,
            str(params.get("host", "127.0.0.1")),
            int(params.get("port", 5432)),
            ingest_pw,
            viewer_pw,
            None,
            "AV_TEST_DSN",
        )
        return
    if _docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as pg:
            host, port = pg.get_container_host_ip(), int(pg.get_exposed_port(5432))
            dsn = make_conninfo(
                "", host=host, port=str(port), user=pg.username, password=pg.password, dbname=pg.dbname
            )
            yield PgServer(dsn, host, port, ingest_pw, viewer_pw, None, "testcontainers")
        return
    with throwaway_cluster() as (cluster, ca_cert):
        yield PgServer(
            cluster.socket_dsn(),
            "127.0.0.1",
            cluster.port,
            ingest_pw,
            viewer_pw,
            ca_cert,
            "throwaway cluster",
            cluster,
        )


@contextmanager
def throwaway_cluster(*, hostssl_only: bool = False) -> Iterator[tuple[Cluster, Path]]:
    """A new cluster with TLS on (a test CA; the CA certificate's path is yielded), removed afterwards.

    The bootstrap superuser is reached over the Unix socket; TCP needs a password
    (and, with ``hostssl_only``, TLS).
    """
    base = Path(tempfile.mkdtemp(prefix="av-test-pg-"))
    os.chmod(base, 0o711)  # the postgres user must traverse it when we are root
    ca = LocalCA(base / "tls")
    ca.ensure()
    cluster = Cluster(base=base / "pg", port=free_port(), fast_unsafe=True, hostssl_only=hostssl_only)
    cluster.init()
    key, cert = cluster.base / "server.key", cluster.base / "server.crt"
    shutil.copy(ca.server_key, key)
    shutil.copy(ca.server_cert, cert)
    from infra.pgcluster import chown_for_server

    for path in (key, cert):
        os.chmod(path, 0o600)
        chown_for_server(path)
    cluster.ssl_cert, cluster.ssl_key = cert, key
    cluster.start()
    try:
        yield cluster, ca.ca_cert
    finally:
        cluster.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)


def prepare_template(server: PgServer) -> None:
    with psycopg.connect(server.admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(TEMPLATE_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DB)))
    with psycopg.connect(server.dsn(TEMPLATE_DB), autocommit=True) as conn:
        ensure_roles(conn, ingest_password=server.ingest_password, viewer_password=server.viewer_password)
        migrate(conn)


def create_database(server: PgServer, *, migrated: bool = True) -> TestDatabase:
    name = f"av_test_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server.admin_dsn, autocommit=True) as conn:
        if migrated:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(TEMPLATE_DB)
                )
            )
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return TestDatabase(server, name)


def drop_database(db: TestDatabase) -> None:
    with psycopg.connect(db.server.admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db.name)))
