"""Claude Code JSONL parser (agentsview section 5.1, with av-cloud's choices).

Layout: ``<projects>/<encoded-cwd>/<sessionId>.jsonl`` (main sessions),
``<proj>/<sessionId>/subagents/agent-<id>.jsonl`` and legacy
``<proj>/agent-<id>.jsonl`` (subagents). Session id = file stem.

Design:

* One pass over the file read as bytes once, ``orjson.loads`` per line, and
  dispatch on ``type`` with plain comparisons (no per-line regexes), because
  a benchmark holds this to >= 40 % of bare orjson line decoding.
* That pass collects session bounds (min/max timestamp over *all* lines,
  ``snapshot.timestamp`` as fallback; ISO strings compared as written), cwd and
  gitBranch (first line having them), subagent links (``progress``
  ``agent_progress`` lines, ``queue-operation`` enqueues, and
  ``toolUseResult.agentId``), every tool_result by tool_use_id (paired to its
  tool_use wherever it appears later in the file), and the user/assistant entries.
* Entries are split into branches by :mod:`claude_dag` (forks) and turned into
  messages by :mod:`claude_messages` (fragment merging, usage once per
  ``message.id``, noise and meta lines skipped, compaction summaries kept as
  system messages).
* Relationships: ``agent-*`` files are ``subagent`` of the session named by
  their lines' ``sessionId`` (or their ``<sessionId>/subagents`` folder); the
  parent Task/Agent tool_use id is looked up in the parent's file. Other files
  whose first entry's ``sessionId`` differs from the stem are ``continuation``.
  Forks are ``<stem>-<uuid>``, relationship ``fork``.
* Robustness: never raises for bad content. A line orjson refuses for invalid
  UTF-8 or a lone surrogate escape is repaired (:mod:`client.sources.decoding`)
  and kept; only a line that is not JSON even so is reported as a
  :class:`ParseProblem` and skipped. An invalid LAST non-blank line is taken
  as a write in progress and skipped **silently**, with or without a trailing
  newline (agentsview's own ``truncated.jsonl`` fixture has one); once more
  lines are appended a still-broken line is reported like any other. An unreadable file is one problem with
  ``line=None``. A file without any kept message yields no session.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from client.model import ParseProblem, Session
from client.project import project_name
from client.sources.base import Source
from client.sources.decoding import NotJSON, counting, loads_repaired
from client.sources.paths import anywhere
from client.sources.reading import gc_paused, read_log

from .claude_blocks import result_text
from .claude_dag import Entry, split_branches
from .claude_messages import build_messages

_loads = orjson.loads
_JSONError = orjson.JSONDecodeError


def claude_projects_dir() -> Path:
    """`$CLAUDE_PROJECTS_DIR`, else `~/.claude/projects`."""
    return SOURCE.default_root()


def discover_claude_files(root: Path) -> list[Path]:
    """All session files under ``root``, sorted so runs are deterministic."""
    root = Path(root)
    found: list[Path] = []
    try:
        projects = [p for p in root.iterdir() if p.is_dir()]
    except OSError:
        return []
    for proj in projects:
        found.extend(p for p in proj.glob("*.jsonl") if p.is_file())
        found.extend(p for p in proj.glob("*/subagents/agent-*.jsonl") if p.is_file())
    return sorted(found)


class _Scan:
    """State gathered by the single pass over a file."""

    __slots__ = ("entries", "results", "subagents", "first", "last", "cwd", "branch", "first_sid")

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.results: dict[str, tuple[str, bool]] = {}
        self.subagents: dict[str, str] = {}
        self.first: str | None = None
        self.last: str | None = None
        self.cwd: str | None = None
        self.branch: str | None = None
        self.first_sid: str | None = None


def parse_claude_file(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    spath = str(path)
    data = read_log(spath)
    if isinstance(data, ParseProblem):
        return [], [data]
    problems: list[ParseProblem] = []
    with gc_paused():
        scan = _scan(data, spath, problems)
        stem = path.name.removesuffix(".jsonl")
        return _sessions(path, stem, scan), problems


def _scan(data: bytes, spath: str, problems: list[ParseProblem]) -> _Scan:
    st = _Scan()
    lines = data.split(b"\n")
    last_index = len(lines) - 1
    while last_index > 0 and not lines[last_index].strip():
        last_index -= 1
    entries = st.entries
    for idx, raw in enumerate(lines):
        if not raw:
            continue
        try:
            obj = _loads(raw)
        except _JSONError:
            try:
                obj = loads_repaired(raw)  # invalid UTF-8 or a lone surrogate: repaired, kept
            except NotJSON:
                if not raw.strip():
                    continue
                if idx == last_index:
                    continue  # a cut-off final line: the agent is still writing it (or was killed)
                problems.append(ParseProblem(spath, idx + 1, "malformed JSON line"))
                continue
        if type(obj) is not dict:
            problems.append(ParseProblem(spath, idx + 1, "line is not a JSON object"))
            continue
        ts = obj.get("timestamp")
        if ts is None:
            snap = obj.get("snapshot")
            if type(snap) is dict:
                ts = snap.get("timestamp")
        if type(ts) is str and ts:
            if st.first is None or ts < st.first:
                st.first = ts
            if st.last is None or ts > st.last:
                st.last = ts
        else:
            ts = None
        if st.cwd is None:
            cwd = obj.get("cwd")
            if type(cwd) is str and cwd:
                st.cwd = cwd
        if st.branch is None:
            br = obj.get("gitBranch")
            if type(br) is str and br:
                st.branch = br
        kind = obj.get("type")
        if kind == "assistant" or kind == "user":
            entries.append(_entry(kind, obj, idx + 1, ts, st))
        elif kind == "progress":
            d = obj.get("data")
            if type(d) is dict and d.get("type") == "agent_progress":
                _link(st.subagents, obj.get("parentToolUseID"), d.get("agentId"))
        elif kind == "queue-operation":
            if obj.get("operation") == "enqueue":
                _queue_link(st.subagents, obj.get("content"))
    return st


def _entry(kind: str, obj: dict[str, Any], line_no: int, ts: str | None, st: _Scan) -> Entry:
    if st.first_sid is None:
        sid = obj.get("sessionId")
        if type(sid) is str and sid:
            st.first_sid = sid
    msg = obj.get("message")
    content = msg.get("content") if type(msg) is dict else None
    mid = ""
    attached = bool(obj.get("isMeta") or obj.get("isCompactSummary"))
    if kind == "assistant":
        m = msg.get("id") if type(msg) is dict else None
        mid = m if type(m) is str else ""
    elif type(content) is list:
        only_results = bool(content)
        for b in content:
            if type(b) is dict and b.get("type") == "tool_result":
                tid = b.get("tool_use_id")
                if type(tid) is str and tid and tid not in st.results:
                    st.results[tid] = (result_text(b.get("content")), b.get("is_error") is True)
            else:
                only_results = False
        attached = attached or only_results
        tur = obj.get("toolUseResult")
        if type(tur) is dict and tur.get("agentId"):
            # Newer Claude Code names the subagent on the Task's tool_result line.
            ids = [
                b.get("tool_use_id") for b in content if type(b) is dict and b.get("type") == "tool_result"
            ]
            if len(ids) == 1 and ids[0] not in st.subagents:
                _link(st.subagents, ids[0], tur.get("agentId"))
    uuid = obj.get("uuid")
    parent = obj.get("parentUuid")
    return Entry(
        kind,
        obj,
        line_no,
        uuid if type(uuid) is str else "",
        parent if type(parent) is str else "",
        mid,
        attached,
        ts,
    )


def _link(subagents: dict[str, str], tool_use_id: Any, agent_id: Any) -> None:
    if type(tool_use_id) is str and tool_use_id and type(agent_id) is str and agent_id:
        subagents[tool_use_id] = agent_id if agent_id.startswith("agent-") else "agent-" + agent_id


def _queue_link(subagents: dict[str, str], content: Any) -> None:
    if type(content) is not str or not content:
        return
    tuid = task = None
    if content.startswith("{"):
        try:
            obj = _loads(content)
        except _JSONError:
            obj = None
        if type(obj) is dict:
            tuid, task = obj.get("tool_use_id"), obj.get("task_id")
    if not tuid or not task:
        task = _xml_tag(content, "task-id")
        tuid = _xml_tag(content, "tool-use-id")
    _link(subagents, tuid, task)


def _xml_tag(text: str, tag: str) -> str | None:
    start = text.find(f"<{tag}>")
    if start < 0:
        return None
    start += len(tag) + 2
    end = text.find("</", start)
    if end <= start:
        return None
    return text[start:end].strip() or None


def _sessions(path: Path, stem: str, scan: _Scan) -> list[Session]:
    if not scan.entries:
        return []
    parent_id, relationship, parent_tool = _relationship(path, stem, scan.first_sid)
    project = project_name(
        scan.cwd, path.parent.name if not stem.startswith("agent-") else _project_dir(path).name
    )
    branches = split_branches(scan.entries)
    ids: list[str] = []
    out: list[Session] = []
    for br in branches:
        ents = [scan.entries[i] for i in br.indices]
        if br.parent_branch is None:
            sid, pid, rel, ptool = stem, parent_id, relationship, parent_tool
            first, last = scan.first, scan.last
        else:
            sid = f"{stem}-{ents[0].uuid}"
            pid, rel, ptool = ids[br.parent_branch], "fork", None
            stamps = [e.timestamp for e in ents if e.timestamp]
            first, last = (min(stamps), max(stamps)) if stamps else (None, None)
        ids.append(sid)
        messages = build_messages(ents, scan.results, scan.subagents)
        if not messages:
            continue
        first_user = next((m.content for m in messages if m.role == "user" and not m.is_system), None)
        out.append(
            Session(
                session_id=sid,
                agent="claude",
                project=project,
                cwd=scan.cwd,
                git_branch=scan.branch,
                source_path=str(path),
                first_message=first_user.replace("\n", " ")[:300] if first_user is not None else None,
                created_at=first,
                started_at=first,
                ended_at=last,
                parent_session_id=pid,
                relationship=rel,
                parent_tool_use_id=ptool,
                messages=messages,
            )
        )
    return out


def _project_dir(path: Path) -> Path:
    # <proj>/<sid>/subagents/agent-x.jsonl -> <proj>; legacy <proj>/agent-x.jsonl -> <proj>
    return path.parents[2] if path.parent.name == "subagents" and len(path.parents) > 2 else path.parent


def _relationship(path: Path, stem: str, first_sid: str | None) -> tuple[str | None, Any, str | None]:
    if stem.startswith("agent-"):
        parent = first_sid if first_sid and first_sid != stem else None
        if parent is None and path.parent.name == "subagents":
            parent = path.parent.parent.name
        if parent is None:
            return None, "", None
        tool = _find_parent_tool_use(_project_dir(path) / f"{parent}.jsonl", stem[len("agent-") :])
        return parent, "subagent", tool
    if first_sid and first_sid != stem:
        return first_sid, "continuation", None
    return None, "", None


def _find_parent_tool_use(parent_file: Path, agent_id: str) -> str | None:
    """Task/Agent tool_use id that spawned ``agent_id``, found in the parent's log."""
    try:
        st = parent_file.stat()
    except OSError:
        return None
    return _parent_links(str(parent_file), st.st_mtime_ns, st.st_size).get(agent_id)


@lru_cache(maxsize=16)
def _parent_links(parent_file: str, _mtime_ns: int, _size: int) -> dict[str, str]:
    """agent id -> spawning tool_use id for one parent file, cached per file version.

    Sibling subagents share a parent, so the (multi-megabyte) parent is read
    once; a byte search for ``agentId`` / ``task-id`` finds the few lines worth
    decoding.
    """
    try:
        data = Path(parent_file).read_bytes()
    except OSError:
        return {}
    links: dict[str, str] = {}
    for needle in (b'"agentId"', b"task-id>", b"task_id"):
        pos = data.find(needle)
        while pos >= 0:
            start = data.rfind(b"\n", 0, pos) + 1
            end = data.find(b"\n", pos)
            end = len(data) if end < 0 else end
            try:
                obj = _loads(data[start:end])
            except _JSONError:
                # Repaired like any line, but counted where the parent itself is parsed, not here.
                with counting():
                    try:
                        obj = loads_repaired(data[start:end])
                    except NotJSON:
                        obj = None
            if type(obj) is dict:
                found = _agent_link(obj)
                if found and found[0] not in links:
                    links[found[0]] = found[1]
            pos = data.find(needle, end)
    return links


def _agent_link(obj: dict[str, Any]) -> tuple[str, str] | None:
    """(agent id without ``agent-``, tool_use id) if this parent line links a subagent."""
    links: dict[str, str] = {}
    kind = obj.get("type")
    if kind == "progress":
        d = obj.get("data")
        if type(d) is dict and d.get("type") == "agent_progress":
            _link(links, obj.get("parentToolUseID"), d.get("agentId"))
    elif kind == "queue-operation" and obj.get("operation") == "enqueue":
        _queue_link(links, obj.get("content"))
    elif kind == "user":
        tur = obj.get("toolUseResult")
        msg = obj.get("message")
        content = msg.get("content") if type(msg) is dict else None
        if type(tur) is dict and type(content) is list:
            ids = [
                b.get("tool_use_id") for b in content if type(b) is dict and b.get("type") == "tool_result"
            ]
            if len(ids) == 1:
                _link(links, ids[0], tur.get("agentId"))
    for tool_use_id, session in links.items():
        return session.removeprefix("agent-"), tool_use_id
    return None


def claude_dependencies(path: Path, sessions: Sequence[Session]) -> list[Path]:
    """A subagent's parse reads its parent's log (to find the Task call that started it)."""
    project_dir = (
        path.parents[2] if path.parent.name == "subagents" and len(path.parents) > 2 else path.parent
    )
    parents = sorted(
        {s.parent_session_id for s in sessions if s.relationship == "subagent" and s.parent_session_id}
    )
    return [project_dir / f"{p}.jsonl" for p in parents]


SOURCE = Source(
    name="claude",
    label="Claude Code",
    env_var="CLAUDE_PROJECTS_DIR",
    locations=(anywhere(".claude/projects"),),
    discover=discover_claude_files,
    parse=parse_claude_file,
    depends=claude_dependencies,
)
