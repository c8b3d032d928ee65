"""A small connection holder shaped for Lambda and for the local stack alike.

A Lambda container handles one request at a time, so it keeps one connection and
reuses it across invocations; under uvicorn the same class holds a few. A
connection is re-opened when it is broken, and one that sat idle (a frozen Lambda
container) is probed before use, because the server may have dropped it.
Every new connection passes the TLS re-check and the schema-version check.

Credentials may change under a running container (a password rotation). Each new
connection asks its :class:`PlanSource` for the current plan (which re-reads a secret
it has held too long), and a connection refused for its password is retried once
with the secret read again at once, then with a rotation's pending version: a
rotation costs a warm container one extra read, never a 503.

psycopg (with libpq and OpenSSL, ~50-80 ms) is imported by the first connection, not with this
module: a Lambda handler imports this at its cold start, and its first request may need no
database at all (the page, a 404). The plan itself (the DSN read, parsed by libpq, checked against
the TLS policy) is made then too, so unusable settings answer the first request that needs the
database with :class:`DatabaseMisconfigured`, which names the setting (docs/deployment.md,
"Cold start").
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from avcore.schema import MIGRATIONS_TABLE, SCHEMA_STATE_SQL, SchemaState, check_schema

if TYPE_CHECKING:  # imported by the first connection (module docstring)
    import psycopg

    from avcore.db.policy import ConnectionPlan

log = logging.getLogger(__name__)

IDLE_PROBE_AFTER_S = 30.0
CONNECT_TIMEOUT_S = 10


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL could not be reached; the message carries no credentials."""


class DatabaseMisconfigured(DatabaseUnavailable):
    """The database settings cannot be used (a DSN libpq cannot parse, or one the TLS policy refuses).

    ``str()`` is the whole story, for the log and the operator's tools; :attr:`public` names the
    setting and what is wrong with it, without the DSN, its host or anything of a secret, for
    an HTTP answer.
    """

    def __init__(self, setting: str, problem: str, detail: str) -> None:
        super().__init__(f"{setting}: {detail}")
        self.setting = setting
        self.public = f"the database setting {setting} is unusable: {problem}; see the function's log"


def is_connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` is psycopg's OperationalError (a connection that broke mid-request).

    Told without importing psycopg for it: an error psycopg raised means psycopg is loaded.
    """
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.OperationalError)


class PlanSource(Protocol):
    """Where a Database's connection plans come from, when credentials can change at run time."""

    def plan(self, *, refresh: bool = False) -> ConnectionPlan:
        """The plan for a new connection; ``refresh``: the last one was refused, read credentials again now."""
        ...

    def pending_plan(self) -> ConnectionPlan | None:
        """The plan with credentials a rotation has set but not yet made current, if there are any."""
        ...


class _AuthenticationFailed(Exception):
    def __init__(self, unavailable: DatabaseUnavailable) -> None:
        self.unavailable = unavailable


def _is_authentication_failure(message: str) -> bool:
    # libpq reports the server's FATAL as text only (no SQLSTATE on a failed connection).
    return "authentication failed" in message


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
        plan: ConnectionPlan | None = None,
        *,
        component: str,
        allow_insecure: bool = False,
        max_size: int = 1,
        dsn_for_scrubbing: str = "",
        check_schema: bool = True,
        on_connect: Callable[[psycopg.Connection], None] | None = None,
        plans: PlanSource | None = None,
    ) -> None:
        if plan is None and plans is None:
            raise ValueError("a Database needs a plan or a source of plans")
        self.plan = plan  # None until the first connection asks ``plans`` for one
        self._plans = plans
        self.component = component
        self.allow_insecure = allow_insecure
        self.check_schema = check_schema
        self._dsn = dsn_for_scrubbing
        self._on_connect = on_connect
        self._slots = threading.BoundedSemaphore(max_size)
        self._lock = threading.Lock()
        self._idle: list[tuple[psycopg.Connection, float]] = []

    def _open(self, plan: ConnectionPlan) -> psycopg.Connection:
        import psycopg

        from avcore.db.policy import scrub_secret

        try:
            return psycopg.connect(plan.conninfo(), connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.OperationalError as exc:
            # The plan holds the password too, so scrub even when no DSN was handed over.
            reason = scrub_secret(scrub_secret(str(exc).strip(), plan.conninfo()), self._dsn)
            unavailable = DatabaseUnavailable(
                f"cannot connect to PostgreSQL at {plan.display_host}: {reason}"
            )
            if _is_authentication_failure(reason):
                raise _AuthenticationFailed(unavailable) from None
            raise unavailable from None

    def check_settings(self) -> None:
        """Make the plan a new connection would use, without connecting: raise
        :class:`DatabaseMisconfigured` (or the secret store's error) if the settings are unusable."""
        self._current_plan()

    def _current_plan(self) -> ConnectionPlan:
        if self._plans is not None:
            return self._plans.plan()
        assert self.plan is not None  # __init__ requires one or the other
        return self.plan

    def _open_current(self) -> psycopg.Connection:
        """A connection with the current credentials; after a refusal, with re-read ones."""
        plan = self._current_plan()
        try:
            conn = self._open(plan)
        except _AuthenticationFailed as refused:
            if self._plans is None:
                raise refused.unavailable from None
            tried = {plan.conninfo()}
            sources = self._plans
            for read in (
                lambda: sources.plan(refresh=True),
                sources.pending_plan,
            ):  # the second only if needed
                candidate = read()
                if candidate is None or candidate.conninfo() in tried:
                    continue
                tried.add(candidate.conninfo())
                try:
                    conn = self._open(candidate)
                except _AuthenticationFailed:
                    continue
                log.warning(
                    "database credentials had changed; connected with the ones read again",
                    extra={"component": self.component},
                )
                plan = candidate
                break
            else:
                raise refused.unavailable from None
        self.plan = plan
        return conn

    def _connect(self) -> psycopg.Connection:
        from avcore.db.policy import check_connected
        from avcore.db.times import read_times_safely

        conn = self._open_current()
        try:
            assert self.plan is not None  # set by _open_current
            check_connected(conn, self.plan, allow_insecure=self.allow_insecure)
            conn.autocommit = True
            read_times_safely(conn)
            if self.check_schema:
                check_schema(read_schema_state(conn), component=self.component)
            if self._on_connect:
                self._on_connect(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _take_idle(self) -> psycopg.Connection | None:
        import psycopg  # a lookup: connection() has imported it

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
            # After the first connection these imports are lookups in sys.modules.
            import psycopg
            from psycopg import pq

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
