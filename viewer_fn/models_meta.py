"""Response models of the value lists, stats, version, sync status, change signal and login."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from viewer_fn.models import Page
from viewer_fn.models_base import ApiModel, Ok


class NameCount(ApiModel):
    name: str
    session_count: int
    message_count: int
    last_activity: datetime | None


class NameCountPage(Page[NameCount]):
    """Names (projects, machines or agents) with their root-session counts, most sessions first."""


class Stats(Ok):
    session_count: int
    message_count: int
    project_count: int
    machine_count: int
    earliest_session: datetime | None


class Version(Ok):
    version: str
    schema_version: int
    read_only: Literal[True] = True


class SyncMachine(ApiModel):
    machine: str
    last_push_at: datetime | None
    sessions: int = Field(description="live sessions held for this machine")
    messages: int
    last_session_update: datetime | None


class IndexFailure(ApiModel):
    session_id: str = Field(description="`<machine>:<session id>`")
    failed_at: datetime
    error: str


class IndexerStatus(ApiModel):
    pending_sessions: int = Field(
        description="written since they were last indexed (search scans them directly)"
    )
    failing_sessions: int
    failures: list[IndexFailure] = Field(
        description="newest 100 sessions the indexer could not index: still found and counted, from their raw rows"
    )


class SyncStatus(Ok):
    last_sync: datetime | None = Field(description="the newest push of any machine")
    machines: list[SyncMachine]
    indexer: IndexerStatus


class Changes(Ok):
    global_version: int = Field(
        description="max(change_seq) over sessions: it moves on every write or delete"
    )


class Me(Ok):
    name: str = Field(description="the viewer credential's name")
