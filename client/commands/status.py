"""``av-client status``: the local view (state, pending work) and the server's."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from avprotocol.answers import StatusResponse
from client.config import ConfigError, load_config
from client.redact import NO_REDACTION_KEY, Redactor, UserRule
from client.scan import cache_valid, select_sources
from client.state import FileStat, State
from client.transport import PushError


def local_status(state: State, endpoint: str, *, parse_key: str) -> dict[str, Any]:
    """What this machine has and what is pending, from the state and one ``stat`` per file (no parsing)."""
    cache = state.cached_files()
    database_id = state.last_database_id(endpoint)
    target = state.find_target(endpoint, database_id) if database_id else None
    acked = state.acked(target) if target is not None else {}
    by_agent: Counter[str] = Counter()
    pending_sessions = 0
    changed_files = 0
    files = 0
    seen: set[str] = set()
    listed: dict[str, set[str]] = {}  # files whose cached session list is current
    for source in select_sources(None):
        for path in source.files():
            files += 1
            stat = FileStat.of(path)
            entry = cache.get(str(path))
            if stat is None or not cache_valid(entry, stat, parse_key):
                changed_files += 1
                continue
            assert entry is not None
            listed[str(path)] = {s.session_id for s in entry.sessions}
            for s in entry.sessions:
                if s.session_id in seen:
                    continue
                seen.add(s.session_id)
                by_agent[s.agent] += 1
                known = acked.get(s.session_id)
                if not known or known.fingerprint != s.fingerprint:
                    pending_sessions += 1
    gone = sum(
        1
        for sid, a in acked.items()
        if sid not in seen
        and a.file
        and not a.gone_reported
        and (sid not in listed[a.file] if a.file in listed else not Path(a.file).exists())
    )
    return {
        "state_file": str(state.path),
        "endpoint": endpoint,
        "database_id": database_id,
        "files": files,
        "sessions": sum(by_agent.values()),
        "sessions_by_agent": dict(sorted(by_agent.items())),
        "acknowledged": len(acked),
        "pending_sessions": pending_sessions,
        "changed_files": changed_files,
        "pending_gone": gone,  # logs that disappeared, not yet reported (the server keeps them)
        "last_push": state.last_push(endpoint),
        # Of every known file as last parsed: lines skipped (not JSON), characters repaired to U+FFFD.
        "parse_health": state.health_totals(),
    }


def status(state: State, *, redact: bool = True, patterns: tuple[UserRule, ...] = ()) -> dict[str, Any]:
    try:
        config = load_config()
    except ConfigError as exc:
        return {"local": None, "server": None, "error": exc.message}
    key = Redactor(patterns).key if redact else NO_REDACTION_KEY
    out: dict[str, Any] = {"local": local_status(state, config.endpoint, parse_key=key), "server": None}
    from client.commands.run import connected

    try:
        with connected(config) as client:
            out["server"] = client.get("/v1/status", answer=StatusResponse).model_dump(mode="json")
    except PushError as exc:
        out["server_error"] = str(exc)
    return out
