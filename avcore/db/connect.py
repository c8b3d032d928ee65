"""A function's :class:`Database`, built from its settings, following its credentials as they rotate.

Nothing here reads the DSN or imports psycopg until the first connection (avcore.db.pool): the
settings' DSN is planned then, and a DSN that cannot be used raises
:class:`~avcore.db.pool.DatabaseMisconfigured` naming the setting it came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from avcore.db.pool import Database, DatabaseMisconfigured
from avcore.settings import DatabaseSettings

if TYPE_CHECKING:
    from avcore.db.policy import ConnectionPlan


class SettingsPlans:
    """Connection plans from a function's settings: the DSN as it is now, or a rotation's pending one."""

    def __init__(
        self,
        settings: DatabaseSettings,
        *,
        application_name: str,
        server_settings: dict[str, str] | None = None,
    ) -> None:
        self._settings = settings
        self._application_name = application_name
        self._server_settings = server_settings
        self._last: tuple[str, ConnectionPlan] | None = None

    def _plan_for(self, dsn: str) -> ConnectionPlan:
        from avcore.db.policy import plan_connection

        if self._last is not None and self._last[0] == dsn:
            return self._last[1]  # planning twice would log an allow_insecure warning twice
        plan = plan_connection(
            dsn,
            allow_insecure=self._settings.db_allow_insecure,
            server_settings=self._server_settings,
            application_name=self._application_name,
        )
        self._last = (dsn, plan)
        return plan

    @contextmanager
    def _naming_the_setting(self) -> Iterator[None]:
        """A DSN that cannot be used becomes DatabaseMisconfigured, naming where it came from."""
        from avcore.db.policy import InsecureConnectionError, InvalidDsnError

        setting = self._settings.dsn_setting
        try:
            yield
        except InvalidDsnError as exc:
            raise DatabaseMisconfigured(
                setting, "not a valid PostgreSQL connection string", str(exc)
            ) from None
        except InsecureConnectionError as exc:
            raise DatabaseMisconfigured(setting, exc.problem, str(exc)) from None

    def plan(self, *, refresh: bool = False) -> ConnectionPlan:
        with self._naming_the_setting():
            return self._plan_for(self._settings.dsn(refresh=refresh))

    def pending_plan(self) -> ConnectionPlan | None:
        with self._naming_the_setting():
            pending = self._settings.pending_dsn()
            return None if pending is None else self._plan_for(pending)


def database_for(
    settings: DatabaseSettings,
    *,
    component: str,
    application_name: str,
    server_settings: dict[str, str] | None = None,
    max_size: int | None = None,
) -> Database:
    """The Database a function uses: TLS policy applied, credentials re-read when they change.

    Neither the DSN nor the secret holding it is read here, but by the first connection (or
    :meth:`Database.check_settings`)."""
    plans = SettingsPlans(settings, application_name=application_name, server_settings=server_settings)
    return Database(
        component=component,
        allow_insecure=settings.db_allow_insecure,
        max_size=max_size or settings.db_pool_size,
        plans=plans,
    )
