"""Push: parse every session, batch it into gzip requests under the size limit, send.

API Gateway and Lambda accept at most 6 MB per request (after base64), so a
request carries at most ``MAX_REQUEST_BYTES`` of gzip. Batches are cut by raw
size first (cheap) and split in half if their gzip is still too large. One
failing session never blocks the others: every session gets its own result.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from client.model import ParseProblem
from client.sources.claude import discover_claude_files, parse_claude_file
from client.transport import IngestClient, PushError
from client.wire import session_to_wire

MAX_REQUEST_BYTES = 4 * 1024 * 1024
RAW_BATCH_BYTES = 12 * 1024 * 1024
MAX_SESSIONS_PER_REQUEST = 200


@dataclass
class PushSummary:
    sessions_seen: int = 0
    applied: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    messages_sent: int = 0
    bytes_sent: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def collect_claude(root: Path, summary: PushSummary) -> Iterator[dict[str, Any]]:
    for path in discover_claude_files(root):
        sessions, problems = parse_claude_file(path)
        summary.problems.extend(problems)
        for session in sessions:
            if session.messages:
                summary.sessions_seen += 1
                yield session_to_wire(session)


def _batches(sessions: Iterable[dict[str, Any]]) -> Iterator[list[tuple[dict[str, Any], bytes]]]:
    batch: list[tuple[dict[str, Any], bytes]] = []
    size = 0
    for session in sessions:
        encoded = orjson.dumps(session)
        if batch and (size + len(encoded) > RAW_BATCH_BYTES or len(batch) >= MAX_SESSIONS_PER_REQUEST):
            yield batch
            batch, size = [], 0
        batch.append((session, encoded))
        size += len(encoded)
    if batch:
        yield batch


def _request_body(request_id: str, batch: list[tuple[dict[str, Any], bytes]]) -> bytes:
    raw = b'{"protocol":1,"request_id":"%s","sessions":[%s]}' % (
        request_id.encode(), b",".join(encoded for _, encoded in batch))
    return gzip.compress(raw, compresslevel=5)


def _send_batch(client: IngestClient, batch: list[tuple[dict[str, Any], bytes]], summary: PushSummary) -> None:
    request_id = uuid.uuid4().hex
    body = _request_body(request_id, batch)
    if len(body) > MAX_REQUEST_BYTES:
        if len(batch) > 1:
            half = len(batch) // 2
            _send_batch(client, batch[:half], summary)
            _send_batch(client, batch[half:], summary)
            return
        sid = batch[0][0]["session_id"]
        summary.failed.append((sid, f"session is {len(body)} bytes gzip, over the {MAX_REQUEST_BYTES}-byte request limit"))
        return
    try:
        answer = client.post_json("/v1/push", {"request_id": request_id}, body=body)
    except PushError as exc:
        summary.failed.extend((s["session_id"], str(exc)) for s, _ in batch)
        return
    summary.bytes_sent += len(body)
    by_id = {s["session_id"]: s for s, _ in batch}
    for item in answer.get("results", []):
        status = item.get("status")
        if status == "applied":
            summary.applied += 1
            summary.messages_sent += len(by_id.get(item.get("session_id"), {}).get("messages", []))
        elif status == "unchanged":
            summary.unchanged += 1
        else:
            summary.failed.append((item.get("session_id", "?"), item.get("reason") or str(status)))


def push(client: IngestClient, sessions: Iterable[dict[str, Any]], summary: PushSummary) -> PushSummary:
    for batch in _batches(sessions):
        _send_batch(client, batch, summary)
    return summary
