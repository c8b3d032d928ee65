"""A function's :class:`Database`, built from its settings, following its credentials as they rotate."""

from __future__ import annotations

from avcore.db.policy import ConnectionPlan, plan_connection
from avcore.db.pool import Database
from avcore.settings import DatabaseSettings


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

    def plan(self, *, refresh: bool = False) -> ConnectionPlan:
        return self._plan_for(self._settings.dsn(refresh=refresh))

    def pending_plan(self) -> ConnectionPlan | None:
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
    """The Database a function uses: TLS policy applied, credentials re-read when they change."""
    plans = SettingsPlans(settings, application_name=application_name, server_settings=server_settings)
    return Database(
        plans.plan(),
        component=component,
        allow_insecure=settings.db_allow_insecure,
        max_size=max_size or settings.db_pool_size,
        plans=plans,
    )
