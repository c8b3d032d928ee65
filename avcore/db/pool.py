"""A small connection holder shaped for Lambda and for the local stack alike.

A Lambda container handles one request at a time, so it keeps one connection and
reuses it across invocations; under uvicorn the same class holds a few. A
connection is re-opened when it is broken, and one that sat idle (a frozen Lambda
container) is probed before use, because the server may have dropped it.
Every new connection passes the TLS re-check and the schema-version check.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg import pq

from avcore.db.policy import ConnectionPlan, check_connected, scrub_secret
from avcore.schema import MIGRATIONS_TABLE, SCHEMA_STATE_SQL, SchemaState, check_schema

log = logging.getLogger(__name__)

IDLE_PROBE_AFTER_S = 30.0
CONNECT_TIMEOUT_S = 10


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL could not be reached; the message carries no credentials."""


def read_schema_state(conn: psycopg.Connection) -> SchemaState:
    """The highest applied migration and the oldest code the schema allows (version None: no schema)."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (MIGRATIONS_TABLE,)).fetchone()
    if not exists or not exists[0]:
        return SchemaState(None)
    row = conn.execute(SCHEMA_STATE_SQL).fetchone()
    return SchemaState(row[0], row[1]) if row else SchemaState(None)


class Database:
    """Hands out connections for one role; thread-safe, at most ``max_size`` open."""

    def __init__(
        self,
        plan: ConnectionPlan,
        *,
        component: str,
        allow_insecure: bool = False,
        max_size: int = 1,
        dsn_for_scrubbing: str = "",
        check_schema: bool = True,
        on_connect: Callable[[psycopg.Connection], None] | None = None,
    ) -> None:
        self.plan = plan
        self.component = component
        self.allow_insecure = allow_insecure
        self.check_schema = check_schema
        self._dsn = dsn_for_scrubbing
        self._on_connect = on_connect
        self._slots = threading.BoundedSemaphore(max_size)
        self._lock = threading.Lock()
        self._idle: list[tuple[psycopg.Connection, float]] = []

    def _connect(self) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self.plan.conninfo(), connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.OperationalError as exc:
            # The plan holds the password too, so scrub even when no DSN was handed over.
            reason = scrub_secret(scrub_secret(str(exc).strip(), self.plan.conninfo()), self._dsn)
            raise DatabaseUnavailable(
                f"cannot connect to PostgreSQL at {self.plan.display_host}: {reason}"
            ) from None
        try:
            check_connected(conn, self.plan, allow_insecure=self.allow_insecure)
            conn.autocommit = True
            if self.check_schema:
                check_schema(read_schema_state(conn), component=self.component)
            if self._on_connect:
                self._on_connect(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _take_idle(self) -> psycopg.Connection | None:
        with self._lock:
            while self._idle:
                conn, since = self._idle.pop()
                if conn.closed or conn.broken:
                    continue
                if time.monotonic() - since > IDLE_PROBE_AFTER_S:
                    try:
                        conn.execute("SELECT 1")
                    except psycopg.Error:
                        log.info("dropping a stale database connection", extra={"component": self.component})
                        conn.close()
                        continue
                return conn
        return None

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection in autocommit mode; use ``conn.transaction()`` for atomic work."""
        with self._slots:
            conn = self._take_idle() or self._connect()
            try:
                yield conn
            except psycopg.OperationalError:
                conn.close()
                raise
            finally:
                if not conn.closed:
                    if conn.broken:
                        conn.close()
                    else:
                        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
                            conn.rollback()
                        with self._lock:
                            self._idle.append((conn, time.monotonic()))

    def close(self) -> None:
        with self._lock:
            for conn, _ in self._idle:
                conn.close()
            self._idle.clear()
