"""The session filter agentsview's list, lists, stats, search and analytics share, as SQL.

:class:`SessionFilter` holds parsed values; :func:`session_where` and friends turn
it into a :class:`Where` -- predicates over a ``sessions`` alias *and* the values
they bind -- so a query combines filters by value (datasette's
``build_where_clauses()``) and never by mutating a shared parameter dict. Only
clause structure is assembled here; every value is a bound parameter.

The base rules follow agentsview: a listed session has messages and is not
deleted; one-shot sessions (at most one user message) are hidden unless
``include_one_shot``; subagent and fork children are hidden unless
``include_children``, in which case a child is listed when it or its parent
matches the filters.

:func:`session_filter` is the FastAPI dependency that declares the filter's
query parameters once, for every route that takes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Query

from avcore.web import BadRequest
from viewer_fn.params import CommaList, Day, Flag, Instant, MaybeFlag

CHILD_RELATIONSHIPS = "('subagent', 'fork')"
MACHINE_IDS_SQL = "(SELECT id FROM machines WHERE name = ANY(%({key})s))"
PARENT_MATCHES_SQL = """EXISTS (SELECT 1 FROM sessions {parent}
    WHERE {parent}.machine_id = {s}.machine_id AND {parent}.session_id = {s}.parent_session_id AND {where})"""


@dataclass(frozen=True)
class Where:
    """A conjunction of SQL predicates with the values they bind (``%(name)s`` placeholders)."""

    predicates: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sql(self) -> str:
        return " AND ".join(self.predicates) or "TRUE"

    def __and__(self, other: Where) -> Where:
        clash = set(self.params) & set(other.params)
        if clash:  # two filters binding one name would silently share a value
            raise ValueError(f"parameter names bound twice: {sorted(clash)}")
        return Where(self.predicates + other.predicates, {**self.params, **other.params})

    def bind(self, **more: Any) -> dict[str, Any]:
        """The parameters to execute with: this clause's values plus the query's own."""
        return {**self.params, **more}


@dataclass(frozen=True)
class SessionFilter:
    project: list[str] | None = None
    exclude_project: list[str] | None = None
    machine: list[str] | None = None
    agent: list[str] | None = None
    date: dt.date | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    active_since: dt.datetime | None = None
    min_messages: int | None = None
    max_messages: int | None = None
    min_user_messages: int | None = None
    include_one_shot: bool = False
    include_children: bool = False
    gone_locally: bool | None = None  # True: only sessions whose logs left their machine; False: only others


def session_filter(
    project: Annotated[CommaList, Query(description="only these projects (comma list)")] = None,
    exclude_project: Annotated[CommaList, Query(description="not these projects (comma list)")] = None,
    machine: Annotated[CommaList, Query(description="only these machines (comma list)")] = None,
    agent: Annotated[CommaList, Query(description="only these agents (comma list)")] = None,
    date: Annotated[Day, Query(description="UTC calendar day of the session's start")] = None,
    date_from: Annotated[Day, Query(description="started on or after this UTC day")] = None,
    date_to: Annotated[Day, Query(description="started on or before this UTC day")] = None,
    active_since: Annotated[Instant, Query(description="last activity at or after this instant")] = None,
    min_messages: Annotated[int | None, Query(ge=0)] = None,
    max_messages: Annotated[int | None, Query(ge=0)] = None,
    min_user_messages: Annotated[int | None, Query(ge=0)] = None,
    include_one_shot: Annotated[
        Flag, Query(description="also sessions with at most one user message (hidden by default)")
    ] = False,
    include_children: Annotated[
        Flag,
        Query(description="also subagent and fork sessions: a child is listed when it or its parent matches"),
    ] = False,
    gone_locally: Annotated[
        MaybeFlag,
        Query(
            description="true: only sessions whose logs are gone from their machine (kept here); "
            "false: only sessions whose logs are still there; absent: both"
        ),
    ] = None,
) -> SessionFilter:
    if date_from and date_to and date_from > date_to:
        raise BadRequest(f"date_from: {date_from} is after date_to {date_to}")
    return SessionFilter(
        project=project,
        exclude_project=exclude_project,
        machine=machine,
        agent=agent,
        date=date,
        date_from=date_from,
        date_to=date_to,
        active_since=active_since,
        min_messages=min_messages,
        max_messages=max_messages,
        min_user_messages=min_user_messages,
        include_one_shot=include_one_shot,
        include_children=include_children,
        gone_locally=gone_locally,
    )


SessionFilterDep = Annotated[SessionFilter, Depends(session_filter)]


def _matching(f: SessionFilter, s: str, prefix: str) -> Where:
    """Predicates for the user's filters (not the base rules) over alias ``s``."""
    where: list[str] = []
    params: dict[str, Any] = {}
    started = f"COALESCE({s}.started_at, {s}.created_at)"
    for name, column, negate in (
        ("project", "project", False),
        ("exclude_project", "project", True),
        ("agent", "agent", False),
    ):
        values = getattr(f, name)
        if values:
            key = f"{prefix}{name}"
            where.append(f"{'NOT ' if negate else ''}{s}.{column} = ANY(%({key})s)")
            params[key] = values
    if f.machine:
        key = f"{prefix}machine"
        where.append(f"{s}.machine_id IN {MACHINE_IDS_SQL.format(key=key)}")
        params[key] = f.machine
    # Dates are UTC calendar days of the session's start, as in agentsview's PG mode.
    for name, op in (("date", "="), ("date_from", ">="), ("date_to", "<=")):
        if getattr(f, name) is not None:
            key = f"{prefix}{name}"
            where.append(f"({started} AT TIME ZONE 'UTC')::date {op} %({key})s")
            params[key] = getattr(f, name)
    if f.active_since is not None:
        where.append(f"{s}.last_activity >= %({prefix}active_since)s")
        params[f"{prefix}active_since"] = f.active_since
    for name, column, op in (
        ("min_messages", "message_count", ">="),
        ("max_messages", "message_count", "<="),
        ("min_user_messages", "user_message_count", ">="),
    ):
        if getattr(f, name) is not None:
            where.append(f"{s}.{column} {op} %({prefix}{name})s")
            params[f"{prefix}{name}"] = getattr(f, name)
    if f.gone_locally is not None:
        where.append(f"{s}.gone_locally_at IS {'NOT ' if f.gone_locally else ''}NULL")
    if not f.include_one_shot:
        where.append(f"{s}.user_message_count > 1")
    return Where(tuple(where), params)


def base_where(s: str) -> Where:
    return Where((f"{s}.deleted_at IS NULL", f"{s}.message_count > 0"))


def _roots(s: str) -> Where:
    return Where((f"{s}.relationship NOT IN {CHILD_RELATIONSHIPS}",))


def session_where(f: SessionFilter, s: str = "s") -> Where:
    """The session list (and its count) over alias ``s``."""
    own = _matching(f, s, "")
    if not f.include_children:
        return base_where(s) & _roots(s) & own
    parent_filter = base_where("par") & _matching(f, "par", "par_")
    parent = PARENT_MATCHES_SQL.format(parent="par", s=s, where=parent_filter.sql)
    either = Where(
        (f"(({own.sql}) OR ({s}.relationship IN {CHILD_RELATIONSHIPS} AND {parent}))",),
        {**own.params, **parent_filter.params},
    )
    return base_where(s) & either


def root_where(f: SessionFilter, s: str = "s") -> Where:
    """Root sessions only, whatever ``include_children`` says: lists, stats and analytics."""
    return base_where(s) & _roots(s) & _matching(f, s, "")


def any_session_where(f: SessionFilter, s: str = "s") -> Where:
    """Live sessions, children included, under the user's filters: what search looks in."""
    return base_where(s) & _matching(f, s, "")
