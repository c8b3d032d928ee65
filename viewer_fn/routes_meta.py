"""Lists (projects, machines, agents), stats, version, sync status and the change signal.

Lists and stats count root sessions under the same filter as the session list
(``include_one_shot`` and the rest). ``/changes`` is what the web page polls.
SQL lives in queries_meta.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from avcore.routes import RouteTable
from avcore.schema import SCHEMA_VERSION
from avprotocol import __version__
from viewer_fn import queries_meta
from viewer_fn.budget import fitting
from viewer_fn.deps import Conn
from viewer_fn.filters import SessionFilterDep, root_where
from viewer_fn.models_meta import (
    Changes,
    IndexerStatus,
    NameCount,
    NameCountPage,
    Stats,
    SyncMachine,
    SyncStatus,
    Version,
)
from viewer_fn.paging import Pager, PagerDep, position_error
from viewer_fn.params import Text

VIEWER_VERSION = __version__  # the release (avprotocol): one number for the client and both functions
DEFAULT_NAME_PAGE = 1000
MAX_NAME_PAGE = 10_000

router = RouteTable(tags=["lists"])
NameQuery = Annotated[
    Text | None, Query(max_length=200, description="only names containing this text (case-insensitive)")
]
NameLimit = Annotated[int, Query(ge=1, le=MAX_NAME_PAGE)]


def _offset(position: Any) -> int:
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise position_error()
    return position


def _names(
    kind: str, f: SessionFilterDep, conn: Conn, paging: Pager, q: str | None, limit: int
) -> NameCountPage:
    offset = _offset(paging.position) if paging.position is not None else 0
    rows = queries_meta.group_counts(conn, kind, root_where(f), q=q, limit=limit + 1, offset=offset)
    page = [NameCount.model_validate(r) for r in rows[:limit]]
    n = fitting(page)
    return NameCountPage(rows=page[:n], **paging.links(offset + n if n < len(rows) else None))


@router.get("/projects")
def list_projects(
    f: SessionFilterDep,
    conn: Conn,
    paging: PagerDep,
    q: NameQuery = None,
    limit: NameLimit = DEFAULT_NAME_PAGE,
) -> NameCountPage:
    """Projects of the matching root sessions, with counts (for filter menus and typeahead)."""
    return _names("projects", f, conn, paging, q, limit)


@router.get("/machines")
def list_machines(
    f: SessionFilterDep,
    conn: Conn,
    paging: PagerDep,
    q: NameQuery = None,
    limit: NameLimit = DEFAULT_NAME_PAGE,
) -> NameCountPage:
    """Machines of the matching root sessions, with counts (agentsview answers bare names; we add counts)."""
    return _names("machines", f, conn, paging, q, limit)


@router.get("/agents")
def list_agents(
    f: SessionFilterDep,
    conn: Conn,
    paging: PagerDep,
    q: NameQuery = None,
    limit: NameLimit = DEFAULT_NAME_PAGE,
) -> NameCountPage:
    """Agents of the matching root sessions, with counts."""
    return _names("agents", f, conn, paging, q, limit)


@router.get("/stats")
def stats(f: SessionFilterDep, conn: Conn) -> Stats:
    return Stats.model_validate(queries_meta.stats(conn, root_where(f)))


@router.get("/version")
def viewer_version() -> Version:
    return Version(version=VIEWER_VERSION, schema_version=SCHEMA_VERSION)


@router.get("/sync/status")
def sync_status(conn: Conn) -> SyncStatus:
    """Per machine: last push, live sessions and messages held. ``last_sync`` is the newest push.
    ``indexer``: sessions not indexed yet, and those the indexer could not index (still found
    by search and counted by analytics, from their raw rows)."""
    rows = [SyncMachine.model_validate(r) for r in queries_meta.sync_status(conn)]
    pushes = [r.last_push_at for r in rows if r.last_push_at is not None]
    indexer = IndexerStatus.model_validate(queries_meta.indexer_status(conn))
    return SyncStatus(last_sync=max(pushes) if pushes else None, machines=rows, indexer=indexer)


@router.get("/changes")
def global_changes(conn: Conn) -> Changes:
    """The global change signal: it moves whenever any session is written or deleted."""
    return Changes(global_version=queries_meta.global_version(conn))
