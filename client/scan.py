"""Find session files, and parse only those that changed since the last run.

Every source in :mod:`client.sources.registry` is walked (native logs first,
then the agentsview import, so a session id found in both is taken from the
agent's own log). A file whose size, mtime and inode — and those of the files
its parse also depends on — match the parse cache (:mod:`client.state`) is not
opened: its sessions' summaries come from the cache. Everything else is read,
parsed, redacted and sealed (:func:`client.wire.session_to_wire`). Each parse
counts the characters it repaired (:mod:`client.sources.decoding`), and knows
what an earlier parse of the same file already reported, so a skipped line or a
repair is reported once, not on every push of a growing log.

Files are yielded in chunks bounded by bytes parsed and sessions held, so a
first push of a large history never holds all of it in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from client.file_health import FileHealth
from client.fingerprint import checkpoints
from client.model import ParseProblem, Session
from client.redact import Redactor
from client.sources import decoding
from client.sources.base import Source
from client.sources.registry import sources
from client.state import CachedFile, FileRecord, FileStat, SessionSummary
from client.wire import session_to_wire

CHUNK_PARSED_BYTES = 64 * 1024 * 1024
CHUNK_SESSIONS = 2_000


@dataclass
class ScannedFile:
    path: str
    source: str
    stat: FileStat
    deps: list[list[Any]]
    sessions: list[SessionSummary]
    wire: dict[str, dict[str, Any]] | None  # session_id -> sealed wire session; None when from the cache
    problems: list[ParseProblem] = field(default_factory=list)  # of this parse; [] from the cache
    # Skipped lines and repairs of the last parse, and what of them was already reported.
    health: FileHealth = field(default_factory=FileHealth)

    @property
    def from_cache(self) -> bool:
        return self.wire is None

    @property
    def cacheable(self) -> bool:
        """False when the file could not be read just now: the next run must read it again."""
        return not self.from_cache and not any(p.transient for p in self.problems)

    def record(self, parse_key: str) -> FileRecord:
        return FileRecord(self.path, self.source, self.stat, self.deps, parse_key, self.sessions, self.health)


def select_sources(agent: str | None) -> list[Source]:
    chosen = [s for s in sources() if s.kind == "native" and (agent is None or s.name == agent)]
    chosen += [s for s in sources() if s.kind != "native"]  # imports hold many agents: filter per session
    return chosen


def _dep_stat(path: Path) -> list[Any]:
    st = FileStat.of(path)
    return [str(path), *(st.size, st.mtime_ns, st.inode)] if st else [str(path), -1, -1, -1]


def dependencies(source: Source, path: Path, sessions: Sequence[Session]) -> list[list[Any]]:
    """Other files whose content this file's parse used (a database's WAL, a subagent's parent log)."""
    return [_dep_stat(dep) for dep in source.depends(path, sessions)]


def cache_valid(entry: CachedFile | None, stat: FileStat, parse_key: str) -> bool:
    if entry is None or entry.stat != stat or entry.parse_key != parse_key:
        return False
    return all(_dep_stat(Path(dep[0])) == dep for dep in entry.deps)


def summarize(wire: dict[str, Any], file: str, content: str | None = None) -> SessionSummary:
    return SessionSummary(
        session_id=wire["session_id"],
        agent=wire["agent"],
        project=wire.get("project") or "",
        fingerprint=wire["fingerprint"],
        message_count=len(wire["messages"]),
        checkpoints=checkpoints(wire),
        file=file,
        content_key=content,
    )


def content_key(session: Session) -> str | None:
    """A hash of everything a parse produced for one session (before redaction and sealing).

    A store holding many sessions (a SQLite database) changes as a whole whenever
    any of them changes; a session whose parse is identical to the cached one
    keeps its cached summary, so it is not redacted and sealed again (most of the
    cost of a re-read) and, its fingerprint unchanged, never sent.
    """
    try:
        data = orjson.dumps(session)
    except orjson.JSONEncodeError:
        return None  # text the wire form must repair first: no reuse, the session is sealed afresh
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def parse_file(
    source: Source,
    path: Path,
    redactor: Redactor | None,
    earlier: CachedFile | None = None,
    *,
    reported: FileHealth | None = None,
) -> ScannedFile | None:
    """Parse ``path``; sessions unchanged since ``earlier`` (a stale cache entry of the
    same parse key) reuse its summaries, the others are redacted and sealed. ``reported``:
    the file's health as last recorded, so what was already reported is not reported again."""
    stat = FileStat.of(path)
    if stat is None:
        return None
    with decoding.counting() as repairs:
        sessions, problems = source.parse(path)
        kept = [s for s in sessions if s.messages]
        known = {s.session_id: s for s in earlier.sessions if s.content_key} if earlier is not None else {}
        wire = {}
        summaries = []
        for session in kept:
            key = content_key(session) if known or len(kept) > 1 else None
            old = known.get(session.session_id)
            if old is not None and key is not None and key == old.content_key:
                summaries.append(replace(old, file=str(path)))
                continue
            sealed = session_to_wire(session, redactor)
            wire[sealed["session_id"]] = sealed
            summaries.append(summarize(sealed, str(path), key))
    return ScannedFile(
        str(path),
        source.name,
        stat,
        dependencies(source, path, kept),
        summaries,
        wire,
        problems,
        FileHealth.of_parse(problems, repairs.to_json(), reported),
    )


def scan(
    *,
    chosen: Sequence[Source],
    cache: dict[str, CachedFile],
    parse_key: str,
    redactor: Redactor | None,
    use_cache: bool = True,
    on_file: Callable[[ScannedFile], None] | None = None,
) -> Iterator[list[ScannedFile]]:
    """Yield chunks of scanned files; cached files cost one ``stat`` each."""
    chunk: list[ScannedFile] = []
    parsed_bytes = 0
    held = 0
    for source in chosen:
        for path in source.files():
            stat = FileStat.of(path)
            if stat is None:
                continue  # vanished between discover and stat
            entry = cache.get(str(path))
            if use_cache and cache_valid(entry, stat, parse_key):
                assert entry is not None
                scanned: ScannedFile | None = ScannedFile(
                    str(path), source.name, stat, entry.deps, entry.sessions, None, health=entry.health
                )
            else:
                earlier = entry if use_cache and entry is not None and entry.parse_key == parse_key else None
                scanned = parse_file(
                    source, path, redactor, earlier, reported=entry.health if entry is not None else None
                )
                if scanned is None:
                    continue
                parsed_bytes += stat.size
            assert scanned is not None
            held += len(scanned.sessions)
            chunk.append(scanned)
            if on_file:
                on_file(scanned)
            if parsed_bytes >= CHUNK_PARSED_BYTES or held >= CHUNK_SESSIONS:
                yield chunk
                chunk, parsed_bytes, held = [], 0, 0
    if chunk:
        yield chunk
