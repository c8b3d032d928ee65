"""Push: scan, plan with the server, send only what it lacks, record what it acknowledged.

Per chunk of scanned files (see :mod:`client.scan`):

1. **Plan.** Every session goes to ``/v1/plan`` with its fingerprint. Sessions
   the state says this database already acknowledged with the same fingerprint
   go *light* (only the last checkpoint); the rest carry their full checkpoints.
   A light session the server does not ``have`` (a rebuilt database, another
   server) is simply planned again in full — the server stays the source of truth.
2. **Send.** ``send_all`` and ``send_from`` become pieces (:mod:`client.parts`)
   packed into gzip requests of at most 4 MB; an append sends only the new
   messages. Each request has a fresh ``request_id``; transport retries resend
   the same bytes, so a lost answer is replayed, not applied twice. Bodies are
   built ahead and up to ``in_flight`` requests are on the wire at once, never
   two pieces of one session (:mod:`client.sender`).
3. **Record.** Each answer is written to the state in one transaction, and only
   for a session's ``complete`` piece. ``resend`` re-plans that session (up to
   ``MAX_ROUNDS``); ``rejected`` or a failed request fails those sessions only.
   Answers are applied in this thread, in the order the requests were made.

Then sessions acknowledged earlier whose file has disappeared are reported
(:mod:`client.departures`): the server keeps them, marked as gone from this
machine, or deletes them with the mirror opt-in. A session the user deleted on
the server (``av-client delete``) is answered ``have`` with ``deleted`` and not
sent. An agentsview import never replaces a session the server holds from this
machine's own log (the log is gone; the import is a flattened copy of it).

A session planned from the parse cache has no wire form yet: its file is read
when the plan first asks for one of its sessions, once per push (the file's
other sessions, planned again in a later round, use that same reading), and a
session whose file changed since it was planned is planned again.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from avprotocol import PROTOCOL_VERSION
from avprotocol.answers import (
    DeleteResponse,
    ItemResult,
    PlanResponse,
    PlanResult,
    PushResponse,
    StatusResponse,
)
from avprotocol.identifiers import identifier_problem
from avprotocol.limits import MAX_CHECKPOINTS
from avprotocol.requests import PlanRequest, PlanSessionIn
from client.config import PUSH_IN_FLIGHT_DEFAULT
from client.departures import disappeared, report_departures
from client.file_health import REPAIR_KINDS, FileHealth
from client.model import ParseProblem
from client.parts import Outgoing, Oversize, Piece, Request, RequestSizer, requests
from client.redact import NO_REDACTION_KEY, Redactor, UserRule
from client.scan import ScannedFile, parse_file, scan, select_sources, summarize
from client.sender import PipelinedSender
from client.sources.registry import Source
from client.state import SessionSummary, State, now_iso
from client.transport import IngestClient, PushError, gzip_json

MAX_PLAN_SESSIONS = 2_000  # the server accepts 5,000; smaller plans keep each answer quick
MAX_ROUNDS = 3
ABORT_AFTER_UNREACHABLE = 3  # consecutive requests that never reached the server
A = TypeVar("A", PlanResponse, DeleteResponse)


@dataclass
class PushOptions:
    full: bool = False
    dry_run: bool = False
    agent: str | None = None
    project: str | None = None
    redact: bool = True
    redact_patterns: tuple[UserRule, ...] = ()
    in_flight: int = PUSH_IN_FLIGHT_DEFAULT  # push requests on the wire at once; 1: strictly one at a time
    mirror: bool = False  # delete on the server what disappeared here (opt-in), instead of keeping it


@dataclass
class PushSummary:
    sessions_seen: int = 0
    files_seen: int = 0
    files_parsed: int = 0
    have: int = 0  # the server already held them (plan: have)
    applied: int = 0  # sent and applied
    unchanged: int = 0  # sent, and the server found them equal
    messages_sent: int = 0
    bytes_sent: int = 0  # gzip bytes of plan, push and delete requests
    requests: int = 0
    deleted: int = 0  # mirror opt-in: deleted on the server because their logs disappeared
    gone_marked: int = 0  # kept on the server, now marked as gone from this machine
    deleted_on_server: int = 0  # not sent: the user deleted them on the server (av-client delete)
    kept_server_copy: int = 0  # not sent: an agentsview import of a session pushed from its own log
    would_send: int = 0  # --dry-run: sessions the server lacks
    would_send_messages: int = 0
    would_delete: int = 0
    would_mark_gone: int = 0
    notices: list[str] = field(default_factory=list)  # worth saying, not failures
    database_id: str | None = None
    database_changed: bool = False
    failed: list[tuple[str, str]] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)  # skipped lines not reported before
    repairs: Counter[str] = field(default_factory=Counter)  # characters repaired to U+FFFD, by kind
    repaired_files: int = 0
    redactions: Counter[str] = field(default_factory=Counter)
    unreadable: list[str] = field(default_factory=list)  # paths of pushed sessions we may no longer read

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.unreadable else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions_seen,
            "files": self.files_seen,
            "files_parsed": self.files_parsed,
            "have": self.have,
            "applied": self.applied,
            "unchanged": self.unchanged + self.have,
            "deleted": self.deleted,
            "gone_marked": self.gone_marked,
            "deleted_on_server": self.deleted_on_server,
            "kept_server_copy": self.kept_server_copy,
            "messages_sent": self.messages_sent,
            "bytes_sent": self.bytes_sent,
            "requests": self.requests,
            "would_send": self.would_send,
            "would_send_messages": self.would_send_messages,
            "would_delete": self.would_delete,
            "would_mark_gone": self.would_mark_gone,
            "notices": self.notices,
            "database_id": self.database_id,
            "database_changed": self.database_changed,
            "failed": [{"session_id": s, "reason": r} for s, r in self.failed],
            "problems": [{"path": p.path, "line": p.line, "reason": p.reason} for p in self.problems],
            "unreadable": self.unreadable,
            "repairs": {**{k: self.repairs.get(k, 0) for k in REPAIR_KINDS}, "files": self.repaired_files},
            "redactions": dict(sorted(self.redactions.items())),
        }


@dataclass
class _Planned:
    summary: SessionSummary
    light: bool
    wire: dict[str, Any] | None
    source: str


class Pusher:
    """One push run against one endpoint; see the module docstring."""

    def __init__(
        self,
        client: IngestClient,
        state: State,
        options: PushOptions,
        summary: PushSummary | None = None,
        *,
        progress: Callable[[str, int], None] | None = None,
    ) -> None:
        self.client, self.state, self.options = client, state, options
        self.summary = summary or PushSummary()
        self.progress = progress or (lambda what, n: None)
        self.endpoint = client.endpoint
        self.redactor = Redactor(options.redact_patterns) if options.redact else None
        self.parse_key = self.redactor.key if self.redactor else NO_REDACTION_KEY
        self.sources = {s.name: s for s in select_sources(options.agent)}
        self.expected_db = state.last_database_id(self.endpoint)
        self.target_id: int | None = None
        self.acked = (
            state.acked(self._target_for(self.expected_db)) if self.expected_db and not options.full else {}
        )
        self.seen: set[str] = set()
        self.seen_files: set[str] = set()
        # The sessions each file holds now, for files read cleanly this run (or whose cached list is
        # current): a session that left such a file is gone, even while the file stays (a shared store).
        self.listed: dict[str, set[str]] = {}
        self._unreachable = 0
        self.sizer = RequestSizer()  # request size learned from compression, across this run's rounds
        self._reread: dict[str, ScannedFile | None] = {}  # cached files read for this chunk's sends

    def _target_for(self, database_id: str) -> int:
        return self.state.target(self.endpoint, database_id)

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> PushSummary:
        started = now_iso()
        cache = self.state.cached_files()
        for chunk in scan(
            chosen=list(self.sources.values()),
            cache=cache,
            parse_key=self.parse_key,
            redactor=self.redactor,
            use_cache=not self.options.full,
        ):
            self._chunk(chunk)
        if self.options.agent is None and not self.options.dry_run:
            self.state.forget_files(set(cache) - self.seen_files)  # files that disappeared
        self._departures()
        if not self.options.dry_run:
            self.state.record_push(
                endpoint=self.endpoint,
                database_id=self.summary.database_id,
                started_at=started,
                exit_code=self.summary.exit_code,
                summary=self.summary.to_json(),
            )
        if self.redactor:
            self.summary.redactions.update(self.redactor.counts)
        return self.summary

    def _chunk(self, chunk: list[ScannedFile]) -> None:
        s = self.summary
        planned: dict[str, _Planned] = {}
        newly_reported: list[tuple[str, FileHealth]] = []
        for f in chunk:
            s.files_seen += 1
            self.seen_files.add(f.path)
            whole_file = (
                f.problems
                if not f.from_cache
                else [ParseProblem(f.path, ln, r) for ln, r in f.health.problems]
            )
            if not any(p.line is None or p.transient for p in whole_file):
                self.listed[f.path] = {summ.session_id for summ in f.sessions}
            if not f.from_cache:
                s.files_parsed += 1
            s.problems.extend(p for p in f.problems if p.transient)  # until it can be read: each time
            if not f.health.all_reported:  # each skipped line and repair is reported once
                s.problems.extend(f.health.unreported_problems(f.path))
                repairs = f.health.unreported_repairs()
                s.repairs.update(repairs)
                s.repaired_files += bool(repairs)
                f.health = f.health.reported_now()
                if f.from_cache:
                    newly_reported.append((f.path, f.health))
            for summ in f.sessions:
                if summ.session_id in self.seen:
                    continue  # a native log already gave us this session (or a duplicate file)
                self.seen.add(summ.session_id)
                if not self._wanted(summ):
                    continue
                s.sessions_seen += 1
                problem = identifier_problem(summ.session_id)
                if problem is not None:
                    # The server would refuse it: skip it and say why, and push the others.
                    s.failed.append(
                        (
                            summ.session_id.encode("unicode_escape").decode("ascii")[:120],
                            f"session_id {problem} (in {f.path}); skipped",
                        )
                    )
                    continue
                known = self.acked.get(summ.session_id)
                light = bool(known and known.fingerprint == summ.fingerprint and not self.options.full)
                planned[summ.session_id] = _Planned(
                    summ, light, f.wire.get(summ.session_id) if f.wire else None, f.source
                )
        if not self.options.dry_run:
            self.state.save_files(f.record(self.parse_key) for f in chunk if f.cacheable)
            self.state.save_health(newly_reported)
        self.progress("scanned", len(chunk))
        pending = planned
        try:
            for _ in range(MAX_ROUNDS):
                if not pending:
                    return
                pending = self._round(pending)
            for sid in pending:
                s.failed.append((sid, "the server kept asking to resend it; try again later"))
        finally:
            self._reread.clear()  # a chunk's files are not needed by the next one

    def _wanted(self, summ: SessionSummary) -> bool:
        o = self.options
        return (o.agent is None or summ.agent == o.agent) and (o.project is None or summ.project == o.project)

    # -- plan --------------------------------------------------------------------------------

    def _plan(self, planned: dict[str, _Planned]) -> list[PlanResult]:
        items = list(planned.values())
        results: list[PlanResult] = []
        for i in range(0, len(items), MAX_PLAN_SESSIONS):
            batch = items[i : i + MAX_PLAN_SESSIONS]
            request = PlanRequest(
                protocol=PROTOCOL_VERSION,
                sessions=[
                    PlanSessionIn(
                        session_id=p.summary.session_id,
                        fingerprint=p.summary.fingerprint,
                        message_count=p.summary.message_count,
                        checkpoints=self._checkpoints(p),
                    )
                    for p in batch
                ],
            )
            got = self._post("/v1/plan", request, PlanResponse).results
            if len(got) != len(batch):
                raise PushError(f"/v1/plan answered {len(got)} results for {len(batch)} sessions")
            results.extend(got)
        return results

    def _checkpoints(self, p: _Planned) -> list[tuple[int, str]]:
        if p.light:
            return [(o, h) for o, h in p.summary.checkpoints[:1]]
        points = [(o, h) for o, h in p.summary.checkpoints]
        known = self.acked.get(p.summary.session_id)
        # The last message this database acknowledged is where an append starts: offer it exactly,
        # so k appended messages cost k messages, not up to twice that.
        if known and p.wire is not None and 0 < known.message_count <= len(p.wire["messages"]):
            ordinal = known.message_count - 1
            if all(o != ordinal for o, _ in points):
                extra = (ordinal, p.wire["messages"][ordinal]["chain_hash"])
                points = sorted([*points[: MAX_CHECKPOINTS - 1], extra], key=lambda c: -c[0])
        return points

    def _learn_database(self, database_id: str | None) -> None:
        if not database_id or database_id == self.summary.database_id:
            return
        self.summary.database_id = database_id
        if self.expected_db and database_id != self.expected_db:
            self.summary.database_changed = True
        if not self.options.dry_run:
            self.target_id = self._target_for(database_id)
            if database_id != self.expected_db or self.options.full:
                self.acked = self.state.acked(self.target_id)

    def _post(self, path: str, request: BaseModel, answer: type[A]) -> A:
        data = gzip_json(request)
        try:
            got = self.client.post(path, data, answer=answer, request_id=getattr(request, "request_id", None))
        except PushError as exc:
            self._not_answered(exc)
            raise
        self._answered(got.database_id, len(data))
        return got

    def _answered(self, database_id: str, sent_bytes: int) -> None:
        self._unreachable = 0
        self.summary.requests += 1
        self.summary.bytes_sent += sent_bytes
        self._learn_database(database_id)

    def _not_answered(self, exc: PushError) -> None:
        self._unreachable = self._unreachable + 1 if exc.status is None else 0

    # -- one round: plan, then send ----------------------------------------------------------

    def _keeps_server_copy(self, p: _Planned, result: PlanResult) -> bool:
        """An agentsview import never replaces what the server holds from this machine's own log.

        The import is a flattened copy (no blocks, no thinking detail) of a log that is gone;
        the server's copy came from the log itself. Known from the acknowledgement: the file
        the server's copy was pushed from. Without one (a wiped state) the import is sent.
        """
        source = self.sources.get(p.source)
        if source is None or source.kind != "import" or result.held_messages is None:
            return False
        known = self.acked.get(p.summary.session_id)
        return known is not None and known.file is not None and known.file != p.summary.file

    def _round(self, planned: dict[str, _Planned]) -> dict[str, _Planned]:
        s = self.summary
        deleted_here = 0
        results = self._plan(planned)
        again: dict[str, _Planned] = {}
        to_send: list[tuple[_Planned, PlanResult]] = []
        have: list[SessionSummary] = []
        for result, p in zip(results, planned.values(), strict=True):
            if result.session_id != p.summary.session_id:
                s.failed.append((p.summary.session_id, "the server's plan answered for another session"))
            elif result.action == "have" and (result.deleted or not self.options.full):
                have.append(p.summary)
                deleted_here += result.deleted is True  # the user deleted it: not sent
            elif result.action == "rejected":
                why = "; ".join(f"{e.field}: {e.message}" for e in result.errors) or "no reason given"
                s.failed.append((p.summary.session_id, f"the server refused it: {why}"))
            elif p.light:
                again[p.summary.session_id] = _Planned(p.summary, False, p.wire, p.source)
            elif self._keeps_server_copy(p, result):
                s.kept_server_copy += 1
            else:
                to_send.append((p, result))
        s.have += len(have) - deleted_here
        s.deleted_on_server += deleted_here
        if self.target_id is not None and not self.options.dry_run:
            self.state.acknowledge(self.target_id, have)
        if self.options.dry_run:
            for p, result in to_send:
                s.would_send += 1
                from_ordinal = 0 if self.options.full else (result.from_ordinal or 0)
                s.would_send_messages += p.summary.message_count - from_ordinal
            return {}
        again.update(self._send(to_send))
        return again

    def _load_wire(self, to_send: list[tuple[_Planned, PlanResult]]) -> None:
        """Read the files of sessions that came from the parse cache (they must be sent now).

        Each file at most once per push: a file holds several sessions (a Claude log with
        forks, an agentsview database), and one planned light in round 1 may be sent in
        round 2 after another of its sessions was sent in round 1.
        """
        for p, _ in to_send:
            if p.wire is None and p.summary.file:
                if p.summary.file not in self._reread:
                    source: Source | None = self.sources.get(p.source)
                    self._reread[p.summary.file] = (
                        parse_file(source, Path(p.summary.file), self.redactor) if source else None
                    )
                scanned = self._reread[p.summary.file]
                p.wire = scanned.wire.get(p.summary.session_id) if scanned and scanned.wire else None

    def _send(self, to_send: list[tuple[_Planned, PlanResult]]) -> dict[str, _Planned]:
        self._load_wire(to_send)
        again: dict[str, _Planned] = {}
        outgoing: list[tuple[Outgoing, int, _Planned]] = []
        for p, result in to_send:
            sid = p.summary.session_id
            if p.wire is None:
                self.summary.failed.append((sid, f"its file {p.summary.file} could not be read again"))
                continue
            if p.wire["fingerprint"] != p.summary.fingerprint:
                # The file changed since it was planned: plan the new version.
                again[sid] = _Planned(_summary_of(p.wire, p.summary), False, p.wire, p.source)
                continue
            start = 0
            if result.action == "send_from" and not self.options.full:
                start = result.from_ordinal or 0
                msgs = p.wire["messages"]
                base_ok = 0 < start <= len(msgs) and msgs[start - 1]["chain_hash"] == result.base_chain_hash
                start = start if base_ok else 0
            outgoing.append((Outgoing(p.wire, p.summary.file or "", replace=self.options.full), start, p))
        by_id = {o.session_id: (o, p) for o, _, p in outgoing}

        def answered(request: Request, answer: PushResponse) -> None:
            self._answered(answer.database_id, len(request.body))
            again.update(self._apply_answer(request.pieces, answer, by_id))

        PipelinedSender(self._post_push, in_flight=self.options.in_flight).send(
            requests(((o, start) for o, start, _ in outgoing), self.sizer),
            on_answer=answered,
            on_error=self._push_failed,
            on_oversize=self._oversize,
        )
        return again

    def _post_push(self, request: Request) -> PushResponse:
        """Runs in a sending thread, so it only transports: the answer is applied by ``answered``, in this one."""
        return self.client.post("/v1/push", request.body, answer=PushResponse, request_id=request.request_id)

    def _push_failed(self, request: Request, exc: PushError) -> None:
        self._not_answered(exc)
        if exc.status is None and self._unreachable >= ABORT_AFTER_UNREACHABLE:
            raise exc
        for piece in request.pieces:
            piece.session.failed = True
            self.summary.failed.append((piece.session.session_id, str(exc)))

    def _oversize(self, item: Oversize) -> None:
        item.piece.session.failed = True
        self.summary.failed.append(
            (
                item.piece.session.session_id,
                f"one message is {item.gzip_bytes} bytes gzip, over the {item.limit}-byte request limit",
            )
        )

    def _apply_answer(
        self, batch: list[Piece], answer: PushResponse, by_id: dict[str, tuple[Outgoing, _Planned]]
    ) -> dict[str, _Planned]:
        s = self.summary
        again: dict[str, _Planned] = {}
        done: list[SessionSummary] = []
        for i, piece in enumerate(batch):
            sid = piece.session.session_id
            item = answer.results[i] if i < len(answer.results) else None
            status = item.status if item is not None and item.session_id == sid else None
            if status in ("applied", "unchanged"):
                s.messages_sent += piece.end - piece.start
                if piece.complete:
                    s.applied += status == "applied"
                    s.unchanged += status == "unchanged"
                    done.append(by_id[sid][1].summary)
                self.progress("sent", 1 if piece.complete else 0)
            elif status == "resend":
                piece.session.failed = True  # skip its remaining pieces in this round
                p = by_id[sid][1]
                again[sid] = _Planned(p.summary, False, p.wire, p.source)
            else:
                piece.session.failed = True
                s.failed.append((sid, _rejection(item, sid, len(answer.results), len(batch))))
        if self.target_id is not None:
            self.state.acknowledge(self.target_id, done)
        return again

    # -- sessions whose log disappeared ------------------------------------------------------

    def _gone(self, session_id: str, file: str) -> bool:
        """Whether a pushed session is gone from this machine: its file is gone, or the file was read
        this run and no longer holds it (a session deleted from a store of many, an OpenCode or
        agentsview database say). A file we may not read (its directory made unreadable) is not
        gone: its sessions stay on the server, and it is reported each run."""
        listed = self.listed.get(file)
        if listed is not None:
            return session_id not in listed
        try:
            os.stat(file)
        except (FileNotFoundError, NotADirectoryError):
            return True
        except OSError as exc:
            if file not in self.summary.unreadable:
                self.summary.unreadable.append(file)
                reason = f"cannot read: {exc.strerror or exc}; its sessions stay on the server, unchanged"
                self.summary.problems.append(ParseProblem(file, None, reason))
            return False
        return False

    def _departures(self) -> None:
        """Acknowledged sessions whose file is gone: kept and marked on the server (or, mirror, deleted)."""
        if self.target_id is None and self.expected_db and not self.options.dry_run:
            # Nothing was planned this run: learn which database we talk to before reporting.
            self._learn_database(self.client.get("/v1/status", answer=StatusResponse).database_id)
        o, s = self.options, self.summary
        gone = disappeared(self.acked, self.seen, agent=o.agent, project=o.project, is_gone=self._gone)
        target = self.target_id
        if not gone or (target is None and not o.dry_run):
            return
        out = report_departures(
            gone,
            self.acked,
            mirror=o.mirror,
            dry_run=o.dry_run,
            post=lambda request: self._post("/v1/deletes", request, DeleteResponse),
            reported=lambda ids: self.state.gone_reported(target, ids) if target is not None else None,
            forget=lambda ids: self.state.unacknowledge(target, ids) if target is not None else None,
            failed=lambda sid, reason: s.failed.append((sid, reason)),
        )
        s.gone_marked += out.marked
        s.deleted += out.deleted
        if o.mirror:
            s.would_delete = out.would_report
        else:
            s.would_mark_gone = out.would_report
        if out.unmarked_notice:
            s.notices.append(out.unmarked_notice)


def _rejection(item: ItemResult | None, session_id: str, answered: int, sent: int) -> str:
    """Why a session's piece was not applied, as the summary lists it."""
    if item is None:
        return f"the server answered {answered} results for {sent} sessions"
    if item.session_id != session_id:
        return "the server answered for another session"
    reason = item.reason or f"status {item.status!r}"
    if item.errors:
        reason += ": " + "; ".join(f"{e.field}: {e.message}" for e in item.errors[:3])
    return reason


def _summary_of(wire: dict[str, Any], old: SessionSummary) -> SessionSummary:
    return summarize(wire, old.file or "")


def push(
    client: IngestClient,
    state: State,
    options: PushOptions | None = None,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> PushSummary:
    return Pusher(client, state, options or PushOptions(), progress=progress).run()
