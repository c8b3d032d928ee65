"""Fixtures for the infra tests: a PostgreSQL cluster shaped like Amazon RDS / Aurora.

A cluster of its own (roles are cluster-wide, and the shared test server's were made by a
superuser) that accepts TCP only over TLS. Its bootstrap superuser plays AWS: it creates
``rds_superuser`` and a master user with exactly the powers RDS gives one (LOGIN,
CREATEROLE, CREATEDB, member of rds_superuser; not SUPERUSER, REPLICATION or BYPASSRLS).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from infra.pgcluster import Cluster
from tests.pg import throwaway_cluster

MASTER = "av_master"
AV_ROLES = ("av_owner", "av_ingest", "av_viewer")
# What RDS grants rds_superuser (a subset; none of them is a superuser power).
RDS_PREDEFINED = ("pg_monitor", "pg_signal_backend", "pg_read_all_settings")


@dataclass
class ManagedPg:
    cluster: Cluster
    ca_cert: Path
    master_password: str

    def superuser(self, dbname: str = "postgres") -> psycopg.Connection:
        """AWS's own access (the Unix socket); tests use it only to set the scene and to look."""
        return psycopg.connect(self.cluster.socket_dsn(dbname=dbname), autocommit=True)

    def dsn(self, user: str, password: str, dbname: str = "av") -> str:
        return make_conninfo(
            "",
            host="localhost",
            port=str(self.cluster.port),
            user=user,
            password=password,
            dbname=dbname,
            sslmode="verify-full",
            sslrootcert=str(self.ca_cert),
        )

    @property
    def master_dsn(self) -> str:
        return self.dsn(MASTER, self.master_password)


@pytest.fixture(scope="module")
def managed_cluster() -> Iterator[ManagedPg]:
    with throwaway_cluster(hostssl_only=True) as (cluster, ca_cert):
        pg = ManagedPg(cluster, ca_cert, secrets.token_urlsafe(18))
        with pg.superuser() as conn:
            conn.execute("CREATE ROLE rds_superuser NOLOGIN")
            for role in RDS_PREDEFINED:
                conn.execute(sql.SQL("GRANT {} TO rds_superuser").format(sql.Identifier(role)))
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN CREATEROLE CREATEDB PASSWORD {} IN ROLE rds_superuser").format(
                    sql.Identifier(MASTER), sql.Literal(pg.master_password)
                )
            )
        yield pg


@pytest.fixture
def managed(managed_cluster: ManagedPg) -> Iterator[ManagedPg]:
    """A fresh start: no av-cloud roles, and an `av` database the master user created (so owns)."""
    with psycopg.connect(managed_cluster.dsn(MASTER, managed_cluster.master_password, "postgres")) as conn:
        conn.autocommit = True
        conn.execute("CREATE DATABASE av")
    yield managed_cluster
    with managed_cluster.superuser() as conn:
        conn.execute("DROP DATABASE IF EXISTS av WITH (FORCE)")
        for role in (*AV_ROLES, "av_weak"):
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture(scope="session")
def sam_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `sam build` cache for every build of the session: the layer is pip-installed once."""
    return tmp_path_factory.mktemp("sam-cache")
