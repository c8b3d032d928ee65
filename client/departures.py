"""Sessions whose log file disappeared from this machine: what a push tells the server.

History is kept (docs/client.md): agents delete their own logs (Claude Code after
30 days by default), and the server's copy is the one that must survive that. A
session this database acknowledged that is gone from the machine (its file is
gone, or a store of many sessions no longer holds it) is reported with
``/v1/deletes`` ``action: "gone"``: the server keeps it, complete, and marks it
as gone from this machine. The acknowledgement stays, flagged ``gone_reported``,
so it is reported once, and so the pusher still knows the server's copy came
from this machine's own log (:mod:`client.push` will not overwrite it with an
agentsview import of the same session).

With the mirror opt-in (``mirror_deletes``) the same sessions, reported or not,
are deleted instead (``action: "mirror"``, a tombstone a later push restores),
and their acknowledgements dropped.

A server that predates ``action`` refuses it (400): nothing is deleted, and the
push says the sessions are kept there unmarked (they are: it no longer receives
a delete). The sessions stay unreported, to be reported once it is upgraded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from avprotocol import PROTOCOL_VERSION
from avprotocol.answers import DeleteResponse
from avprotocol.limits import MAX_DELETES
from avprotocol.requests import DeleteAction, DeleteRequest
from client.state import Acked
from client.transport import PushError


@dataclass
class Departed:
    """What a push reported of sessions whose logs disappeared."""

    marked: int = 0  # kept on the server, now marked as gone from this machine
    deleted: int = 0  # mirror opt-in: deleted on the server
    would_report: int = 0  # --dry-run
    unmarked_notice: str | None = None  # the server could not mark them (too old)


def _missing(session_id: str, file: str) -> bool:
    return not Path(file).exists()


def disappeared(
    acked: dict[str, Acked],
    seen: set[str],
    *,
    agent: str | None,
    project: str | None,
    is_gone: Callable[[str, str], bool] = _missing,
) -> list[str]:
    """Acknowledged sessions not seen in this scan that are gone (``is_gone(session_id, file)``:
    by default, their file no longer exists), in id order."""
    return sorted(
        sid
        for sid, a in acked.items()
        if sid not in seen
        and a.file
        and agent in (None, a.agent)
        and project in (None, a.project)
        and is_gone(sid, a.file)
    )


def report_departures(
    gone: list[str],
    acked: dict[str, Acked],
    *,
    mirror: bool,
    dry_run: bool,
    post: Callable[[DeleteRequest], DeleteResponse],
    reported: Callable[[list[str]], None],
    forget: Callable[[list[str]], None],
    failed: Callable[[str, str], None],
) -> Departed:
    """Tell the server about ``gone`` (see the module docstring); ``post`` sends one request.

    ``reported(ids)`` records sessions the server now keeps marked; ``forget(ids)`` drops the
    acknowledgement of sessions the server no longer holds; ``failed(id, reason)`` records a
    failure (a mirror deletion the server did not make).
    """
    out = Departed()
    todo = gone if mirror else [sid for sid in gone if not acked[sid].gone_reported]
    if dry_run:
        out.would_report = len(todo)
        return out
    action: DeleteAction = "mirror" if mirror else "gone"
    for i in range(0, len(todo), MAX_DELETES):
        batch = todo[i : i + MAX_DELETES]
        request = DeleteRequest(
            protocol=PROTOCOL_VERSION, request_id=uuid.uuid4().hex, session_ids=batch, action=action
        )
        try:
            answer = post(request)
        except PushError as exc:
            if exc.status == 400 and not mirror:
                out.unmarked_notice = (
                    f"the server predates history keeping ({exc}); {len(todo)} sessions whose logs "
                    "disappeared are kept there but not marked as gone"
                )
                return out
            for sid in batch:
                failed(sid, f"{action}: {exc}")
            continue
        statuses: dict[str, str] = {r.session_id: r.status for r in answer.results}
        if mirror:
            out.deleted += sum(1 for sid in batch if statuses.get(sid) == "deleted")
            forget([sid for sid in batch if sid in statuses])
            continue
        out.marked += sum(1 for sid in batch if statuses.get(sid) == "marked")
        reported([sid for sid in batch if statuses.get(sid) in ("marked", "already_gone")])
        forget([sid for sid in batch if statuses.get(sid) in ("deleted", "not_found")])
    return out
