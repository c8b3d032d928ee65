"""The session filter agentsview's list, lists, stats and analytics share, as SQL.

:class:`SessionFilter` holds parsed values; :func:`session_where` turns them into
predicates over a ``sessions`` alias. Only clause structure is assembled here;
every value is a bound parameter. The base rules follow agentsview: a listed
session has messages and is not deleted; one-shot sessions (at most one user
message) are hidden unless ``include_one_shot``; subagent and fork children are
hidden unless ``include_children``, in which case a child is listed when it or
its parent matches the filters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from fastapi import Request

from avcore.web import BadRequest
from viewer_fn import params as p

CHILD_RELATIONSHIPS = "('subagent', 'fork')"
MACHINE_IDS_SQL = "(SELECT id FROM machines WHERE name = ANY(%({key})s))"
PARENT_MATCHES_SQL = """EXISTS (SELECT 1 FROM sessions {parent}
    WHERE {parent}.machine_id = {s}.machine_id AND {parent}.session_id = {s}.parent_session_id AND {where})"""


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

    @classmethod
    def from_request(cls, request: Request) -> SessionFilter:
        q = request.query_params
        f = cls(
            project=p.csv("project", q.get("project")),
            exclude_project=p.csv("exclude_project", q.get("exclude_project")),
            machine=p.csv("machine", q.get("machine")),
            agent=p.csv("agent", q.get("agent")),
            date=p.day("date", q.get("date")),
            date_from=p.day("date_from", q.get("date_from")),
            date_to=p.day("date_to", q.get("date_to")),
            active_since=p.instant("active_since", q.get("active_since")),
            min_messages=p.integer("min_messages", q.get("min_messages"), lo=0),
            max_messages=p.integer("max_messages", q.get("max_messages"), lo=0),
            min_user_messages=p.integer("min_user_messages", q.get("min_user_messages"), lo=0),
            include_one_shot=p.flag("include_one_shot", q.get("include_one_shot")),
            include_children=p.flag("include_children", q.get("include_children")),
        )
        if f.date_from and f.date_to and f.date_from > f.date_to:
            raise BadRequest(f"date_from: {f.date_from} is after date_to {f.date_to}")
        return f

    def key(self) -> dict[str, Any]:
        """A JSON-able summary, used to bind cursors to the filter they were made for."""
        return {
            f.name: str(getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) not in (None, False)
        }


def _matching(f: SessionFilter, s: str, params: dict[str, Any], prefix: str) -> list[str]:
    """Predicates for the user's filters (not the base rules) over alias ``s``."""
    where: list[str] = []
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
    if not f.include_one_shot:
        where.append(f"{s}.user_message_count > 1")
    return where


def base_where(s: str) -> list[str]:
    return [f"{s}.deleted_at IS NULL", f"{s}.message_count > 0"]


def session_where(f: SessionFilter, params: dict[str, Any], s: str = "s") -> str:
    """The WHERE body for the session list (and its counts) over alias ``s``."""
    own = _matching(f, s, params, "")
    where = base_where(s)
    if not f.include_children:
        where.append(f"{s}.relationship NOT IN {CHILD_RELATIONSHIPS}")
        where += own
        return " AND ".join(where)
    mine = " AND ".join(own) or "TRUE"
    parent_where = " AND ".join(base_where("par") + _matching(f, "par", params, "par_")) or "TRUE"
    parent = PARENT_MATCHES_SQL.format(parent="par", s=s, where=parent_where)
    where.append(f"(({mine}) OR ({s}.relationship IN {CHILD_RELATIONSHIPS} AND {parent}))")
    return " AND ".join(where)


def root_where(f: SessionFilter, params: dict[str, Any], s: str = "s") -> str:
    """Root sessions only, whatever ``include_children`` says: lists, stats and analytics."""
    where = base_where(s) + [f"{s}.relationship NOT IN {CHILD_RELATIONSHIPS}"] + _matching(f, s, params, "")
    return " AND ".join(where)


def any_session_where(f: SessionFilter, params: dict[str, Any], s: str = "s") -> str:
    """Live sessions, children included, under the user's filters: what search looks in."""
    return " AND ".join(base_where(s) + _matching(f, s, params, ""))
