"""``av-client verify``: does the server hold exactly what this machine has?

Every local session (parsed or from the parse cache, redacted as a push would)
is compared by fingerprint with ``GET /v1/sessions``. Differences (exit 1):
sessions missing on the server, and held with a different fingerprint. Not
differences (listed, exit 0): sessions the server keeps whose logs are gone
from this machine (history is kept: that is the point), and sessions the user
deleted on the server (``av-client delete``). With the mirror opt-in, a session
kept on the server but gone here *is* a difference (the next push deletes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from avprotocol.answers import HeldSession, HeldSessionsResponse
from avprotocol.limits import MAX_HELD_PAGE
from client.redact import NO_REDACTION_KEY, Redactor, UserRule
from client.scan import scan, select_sources
from client.state import SessionSummary, State
from client.transport import IngestClient


@dataclass
class VerifyReport:
    local: int = 0
    server: int = 0
    matching: int = 0
    missing: list[str] = field(default_factory=list)  # on this machine, not on the server
    different: list[dict[str, Any]] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # mirror opt-in: on the server, gone from here
    kept_gone_locally: list[str] = field(default_factory=list)  # on the server, gone from here: kept
    deleted_on_server: list[str] = field(default_factory=list)  # here; the user deleted it there
    database_id: str | None = None

    @property
    def ok(self) -> bool:
        return not (self.missing or self.different or self.extra)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "local": self.local,
            "server": self.server,
            "matching": self.matching,
            "missing_on_server": self.missing,
            "different": self.different,
            "extra_on_server": self.extra,
            "kept_on_server_gone_locally": self.kept_gone_locally,
            "deleted_on_server": self.deleted_on_server,
            "database_id": self.database_id,
        }


def local_sessions(state: State, *, redactor: Redactor | None) -> dict[str, SessionSummary]:
    key = redactor.key if redactor else NO_REDACTION_KEY
    out: dict[str, SessionSummary] = {}
    for chunk in scan(
        chosen=select_sources(None), cache=state.cached_files(), parse_key=key, redactor=redactor
    ):
        state.save_files(f.record(key) for f in chunk if f.cacheable)
        for f in chunk:
            for s in f.sessions:
                out.setdefault(s.session_id, s)
    return out


def server_sessions(client: IngestClient) -> tuple[dict[str, HeldSession], str | None]:
    """Every session the server holds for this machine (``GET /v1/sessions``, page by page)."""
    held: dict[str, HeldSession] = {}
    cursor: str | None = None
    database_id = None
    for _ in range(1_000_000):
        params: dict[str, Any] = {"limit": MAX_HELD_PAGE}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/sessions", answer=HeldSessionsResponse, params=params)
        database_id = page.database_id
        for s in page.sessions:
            held[s.session_id] = s
        cursor = page.next_cursor
        if not cursor:
            break
    return held, database_id


def verify(
    client: IngestClient,
    state: State,
    *,
    redact: bool = True,
    patterns: tuple[UserRule, ...] = (),
    mirror: bool = False,
) -> VerifyReport:
    local = local_sessions(state, redactor=Redactor(patterns) if redact else None)
    held, database_id = server_sessions(client)
    report = VerifyReport(
        local=len(local),
        database_id=database_id,
        server=sum(1 for s in held.values() if not s.deleted),
    )
    for sid, mine in sorted(local.items()):
        theirs = held.get(sid)
        if theirs is not None and theirs.deleted and theirs.deleted_by == "user":
            report.deleted_on_server.append(sid)
        elif theirs is None or theirs.deleted:
            report.missing.append(sid)
        elif theirs.fingerprint != mine.fingerprint:
            report.different.append(
                {
                    "session_id": sid,
                    "local_messages": mine.message_count,
                    "server_messages": theirs.message_count,
                }
            )
        else:
            report.matching += 1
    elsewhere = sorted(sid for sid, s in held.items() if sid not in local and not s.deleted)
    if mirror:
        report.extra = elsewhere
    else:
        report.kept_gone_locally = elsewhere
    return report
