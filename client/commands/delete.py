"""``av-client delete``: remove sessions from the server, only because a user asks.

History is kept by default: a session whose log disappeared stays on the
server (docs/client.md). Deleting is this command: sessions named by id, or
those matching filters (agent, project, gone from this machine, last active
before a date), chosen from what the server holds (``GET /v1/sessions``), shown
first (``--dry-run`` stops there), confirmed, then sent as ``/v1/deletes``
``action: "delete"``. The server keeps a tombstone the user made: a push never
sends such a session again (its plan answers ``have`` with ``deleted``), until
``--undo`` lifts the deletion.

What is deleted is exactly the list that was shown: the filters are resolved
to ids before the confirmation, so a session pushed meanwhile is never caught.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from avprotocol import PROTOCOL_VERSION
from avprotocol.answers import DeleteResponse, HeldSession
from avprotocol.limits import MAX_DELETES
from avprotocol.requests import DeleteAction, DeleteRequest
from client.commands.verify import server_sessions
from client.state import State
from client.transport import IngestClient, gzip_json


@dataclass(frozen=True)
class Selection:
    session_ids: tuple[str, ...] = ()
    agent: str | None = None
    project: str | None = None
    gone_locally: bool = False
    before: datetime | None = None  # last activity before this (UTC)

    @property
    def empty(self) -> bool:
        return not (self.session_ids or self.agent or self.project or self.gone_locally or self.before)


@dataclass
class Chosen:
    sessions: list[HeldSession] = field(default_factory=list)  # in id order
    unknown: list[str] = field(default_factory=list)  # named ids the server does not show

    @property
    def messages(self) -> int:
        return sum(s.message_count for s in self.sessions)


def _matches(held: HeldSession, sel: Selection) -> bool:
    if sel.agent is not None and held.agent != sel.agent:
        return False
    if sel.project is not None and held.project != sel.project:
        return False
    if sel.gone_locally and held.gone_locally_at is None:
        return False
    if sel.before is not None:
        last = held.last_activity
        if last is None or last >= sel.before:
            return False
    return True


def choose(client: IngestClient, sel: Selection) -> Chosen:
    """The sessions the server shows (not deleted) that ``sel`` names and matches."""
    held, _ = server_sessions(client)
    live = {sid: h for sid, h in held.items() if not h.deleted}
    out = Chosen()
    if sel.session_ids:
        out.unknown = sorted({sid for sid in sel.session_ids if sid not in live})
        pool = [live[sid] for sid in sorted(set(sel.session_ids)) if sid in live]
    else:
        pool = [live[sid] for sid in sorted(live)]
    out.sessions = [h for h in pool if _matches(h, sel)]
    return out


def send(client: IngestClient, session_ids: list[str], *, action: DeleteAction) -> dict[str, str]:
    """``/v1/deletes`` with ``action`` (``delete`` or ``undelete``); status per session id."""
    statuses: dict[str, str] = {}
    for i in range(0, len(session_ids), MAX_DELETES):
        batch = session_ids[i : i + MAX_DELETES]
        request = DeleteRequest(
            protocol=PROTOCOL_VERSION, request_id=uuid.uuid4().hex, session_ids=batch, action=action
        )
        answer = client.post(
            "/v1/deletes", gzip_json(request), answer=DeleteResponse, request_id=request.request_id
        )
        statuses.update((r.session_id, r.status) for r in answer.results)
    return statuses


def still_here(state: State, session_ids: list[str]) -> list[str]:
    """Those of ``session_ids`` whose log is still on this machine (from the parse cache, no parsing)."""
    wanted = set(session_ids)
    found: set[str] = set()
    for path, entry in state.cached_files().items():
        hits = {s.session_id for s in entry.sessions} & wanted
        if hits and Path(path).exists():
            found |= hits
    return sorted(found)
