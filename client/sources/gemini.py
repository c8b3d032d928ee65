"""Gemini CLI chat parser.

Layout: ``<gemini>/tmp/<project>/chats/session-*.json`` where ``<gemini>`` is
``~/.gemini`` (``GEMINI_DIR``) and ``<project>`` is the sha256 of the project
directory (older CLIs) or its short name (newer ones). One file is one
session, id ``gemini:<sessionId>``. Newer CLIs may write the same records as
JSONL (one record per line, a record with a known ``id`` replacing the earlier
one); both are read.

Design:

* The file is read once and decoded with one ``decoding.loads`` (JSON) or one
  per line (JSONL): invalid UTF-8 and lone surrogates are repaired to U+FFFD,
  never a reason to drop the file. A JSON file that does not decode even so is
  one :class:`ParseProblem` (``line=None``); in JSONL, bad lines are reported
  and skipped, a cut-off last line is tolerated silently.
* Messages: ``type`` ``user`` -> user, ``gemini`` -> assistant. ``info`` /
  ``error`` / ``warning`` records are CLI notices, not conversation; they are
  skipped, as agentsview does (a file of only notices yields no session).
* Assistant content, in the order Gemini produced it: ``thoughts``
  (``[Thinking]\\nsubject\\ndescription\\n[/Thinking]``), ``content`` (string or
  parts), then ``toolCalls`` with their inline results
  (``result[].functionResponse.response.output`` / ``.error``; ``status``
  ``error``/``cancelled`` marks an error).
* Usage from ``tokens``: Gemini's ``input`` includes the cached part and its
  ``output`` excludes thinking, so ``input_tokens = input - cached``,
  ``cache_read = cached``, ``output_tokens = output + thoughts`` (the same
  split as the Codex parser; agentsview also adds thoughts to output).
* Project: the ``<project>`` directory is mapped back to a cwd through
  ``projects.json`` / ``trustedFolders.json`` next to ``tmp`` (hashing each
  known path); a non-hash directory name is taken as the project name itself.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from client.model import Message, ParseProblem, Session, ToolCall, Usage
from client.project import project_name
from client.sources.base import Source
from client.sources.decoding import NotJSON, loads
from client.sources.paths import anywhere
from client.sources.reading import read_log

_HEX = frozenset("0123456789abcdef")

_CATEGORIES: dict[str, str] = {
    "read_file": "read",
    "read_many_files": "read",
    "write_file": "write",
    "replace": "edit",
    "edit_file": "edit",
    "edit": "edit",
    "run_shell_command": "bash",
    "run_command": "bash",
    "execute_command": "bash",
    "glob": "search",
    "grep": "search",
    "grep_search": "search",
    "search_file_content": "search",
    "search_files": "search",
    "list_directory": "search",
    "web_fetch": "web",
    "google_web_search": "web",
    "write_todos": "todo",
}


def gemini_dir() -> Path:
    """`$GEMINI_DIR`, else `~/.gemini`."""
    return SOURCE.default_root()


def discover_gemini_files(root: Path) -> list[Path]:
    """``<root>/tmp/*/chats/*.json[l]``, sorted."""
    tmp = Path(root) / "tmp"
    try:
        found = [p for p in tmp.glob("*/chats/*.json") if p.is_file()]
        found += [p for p in tmp.glob("*/chats/*.jsonl") if p.is_file()]
    except OSError:
        return []
    return sorted(found)


def _s(d: dict[str, Any], key: str) -> str:
    v = d.get(key)
    return v if type(v) is str else ""


def _int(v: Any) -> int:
    return v if type(v) is int and v > 0 else 0


def _parts_text(content: Any) -> str:
    if type(content) is str:
        return content
    if type(content) is list:
        return "\n".join(
            p["text"] for p in content if type(p) is dict and type(p.get("text")) is str and p["text"]
        )
    return ""


def format_tool(name: str, display: str, args: dict[str, Any]) -> str:
    """agentsview's ``formatGeminiToolCall``."""
    if name == "read_file":
        return f"[Read: {_s(args, 'file_path') or _s(args, 'absolute_path')}]"
    if name == "write_file":
        return f"[Write: {_s(args, 'file_path')}]"
    if name in ("edit_file", "replace", "edit"):
        return f"[Edit: {_s(args, 'file_path')}]"
    if name in ("run_command", "execute_command", "run_shell_command"):
        return f"[Bash]\n$ {_s(args, 'command')}"
    if name == "list_directory":
        return f"[List: {_s(args, 'dir_path') or _s(args, 'path')}]"
    if name in ("search_files", "grep", "grep_search", "search_file_content"):
        return f"[Grep: {_s(args, 'query') or _s(args, 'pattern')}]"
    if name == "glob":
        return f"[Glob: {_s(args, 'pattern')}]"
    return f"[Tool: {display or name}]"


def _result(tc: dict[str, Any]) -> tuple[str | None, bool]:
    status = _s(tc, "status")
    is_error = status in ("error", "cancelled")
    texts: list[str] = []
    results = tc.get("result")
    for r in results if type(results) is list else ():
        fr = r.get("functionResponse") if type(r) is dict else None
        resp = fr.get("response") if type(fr) is dict else None
        if type(resp) is not dict:
            continue
        for key in ("output", "error"):
            if key in resp:
                v = resp[key]
                texts.append(v if type(v) is str else orjson.dumps(v).decode())
                is_error = is_error or key == "error"
                break
    if texts:
        return "\n".join(texts), is_error
    display = tc.get("resultDisplay")
    if type(display) is str and display:
        return display, is_error
    return None, is_error


def _message(rec: dict[str, Any]) -> Message | None:
    kind = rec.get("type")
    ts = rec.get("timestamp")
    ts = ts if type(ts) is str and ts else None
    if kind == "user":
        text = _parts_text(rec.get("content"))
        if not text.strip():
            return None
        return Message(
            ordinal=0, role="user", content=text, timestamp=ts, blocks=[{"type": "text", "text": text}]
        )
    if kind not in ("gemini", "model"):
        return None  # info / error / warning notices
    parts: list[str] = []
    blocks: list[dict[str, Any]] = []
    msg = Message(ordinal=0, role="assistant", content="", timestamp=ts)
    thoughts = rec.get("thoughts")
    for t in thoughts if type(thoughts) is list else ():
        if type(t) is dict and _s(t, "description"):
            subj, desc = _s(t, "subject"), _s(t, "description")
            text = f"{subj}\n{desc}" if subj else desc
            parts.append(f"[Thinking]\n{text}\n[/Thinking]")
            blocks.append({"type": "thinking", "text": text})
            msg.has_thinking = True
    text = _parts_text(rec.get("content"))
    if text:
        parts.append(text)
        blocks.append({"type": "text", "text": text})
    calls = rec.get("toolCalls")
    for tc in calls if type(calls) is list else ():
        if type(tc) is not dict or not _s(tc, "name"):
            continue
        name, tid = _s(tc, "name"), _s(tc, "id")
        args = tc.get("args")
        call = ToolCall(
            call_index=len(msg.tool_calls),
            tool_name=name,
            tool_use_id=tid,
            category=_CATEGORIES.get(name, "mcp" if "__" in name else "other"),
            input_json=orjson.dumps(args).decode() if args is not None else None,
        )
        call.result_content, call.result_is_error = _result(tc)
        msg.tool_calls.append(call)
        parts.append(format_tool(name, _s(tc, "displayName"), args if type(args) is dict else {}))
        blocks.append({"type": "tool_use", "id": tid, "name": name})
    if not parts:
        return None
    msg.content = "\n".join(parts)
    msg.blocks = blocks
    msg.has_tool_use = bool(msg.tool_calls)
    model = rec.get("model")
    msg.model = model if type(model) is str and model else None
    tok = rec.get("tokens")
    if type(tok) is dict:
        inp, cached = _int(tok.get("input")), _int(tok.get("cached"))
        msg.usage = Usage(
            input_tokens=max(inp - cached, 0),
            cache_read_tokens=cached,
            output_tokens=_int(tok.get("output")) + _int(tok.get("thoughts")),
        )
    return msg


def _jsonl_records(data: bytes, spath: str, problems: list[ParseProblem]) -> tuple[dict[str, Any], list[Any]]:
    header: dict[str, Any] = {}
    records: list[Any] = []
    by_id: dict[str, int] = {}
    lines = data.split(b"\n")
    last_index = len(lines) - 1
    while last_index > 0 and not lines[last_index].strip():
        last_index -= 1
    for idx, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            rec = loads(raw)
        except NotJSON:
            if idx != last_index:
                problems.append(ParseProblem(spath, idx + 1, "malformed JSON line"))
            continue
        if type(rec) is not dict:
            problems.append(ParseProblem(spath, idx + 1, "line is not a JSON object"))
            continue
        if "sessionId" in rec:
            for key in ("sessionId", "startTime", "projectHash"):
                header.setdefault(key, rec.get(key))
            header["lastUpdated"] = rec.get("lastUpdated") or header.get("lastUpdated")
        mid = rec.get("id")
        if type(mid) is str and mid and mid in by_id:
            records[by_id[mid]] = rec  # a later write of the same message replaces it
            continue
        if type(mid) is str and mid:
            by_id[mid] = len(records)
        records.append(rec)
    return header, records


def parse_gemini_file(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    spath = str(path)
    data = read_log(spath)
    if isinstance(data, ParseProblem):
        return [], [data]
    problems: list[ParseProblem] = []
    if path.suffix == ".jsonl":
        header, records = _jsonl_records(data, spath, problems)
    else:
        try:
            root = loads(data)  # one invalid character no longer costs the whole file
        except NotJSON:
            return [], [ParseProblem(spath, None, "malformed JSON file")]
        if type(root) is not dict:
            return [], [ParseProblem(spath, None, "file is not a JSON object")]
        header, listed = root, root.get("messages")
        records = listed if type(listed) is list else []
    sid = header.get("sessionId")
    if type(sid) is not str or not sid:
        return [], problems + [ParseProblem(spath, None, "missing sessionId")]
    messages: list[Message] = []
    for i, rec in enumerate(records):
        if type(rec) is not dict:
            problems.append(ParseProblem(spath, None, f"message {i} is not a JSON object"))
            continue
        m = _message(rec)
        if m is not None:
            m.ordinal = len(messages)
            messages.append(m)
    if not messages:
        return [], problems
    stamps = [m.timestamp for m in messages if m.timestamp]
    start, updated = header.get("startTime"), header.get("lastUpdated")
    if type(start) is str and start:
        stamps.append(start)
    if type(updated) is str and updated:
        stamps.append(updated)
    cwd, project = _project(path)
    first_user = next((m.content for m in messages if m.role == "user"), None)
    return [
        Session(
            session_id=f"gemini:{sid}",
            agent="gemini",
            project=project,
            cwd=cwd,
            source_path=spath,
            first_message=first_user.replace("\n", " ")[:300] if first_user is not None else None,
            created_at=start if type(start) is str and start else (min(stamps) if stamps else None),
            started_at=min(stamps) if stamps else None,
            ended_at=max(stamps) if stamps else None,
            messages=messages,
        )
    ], problems


def _project(path: Path) -> tuple[str | None, str]:
    """(cwd, project) for ``<gemini>/tmp/<dir>/chats/<file>``."""
    if path.parent.name != "chats" or len(path.parents) < 4:
        return None, ""
    dirname = path.parents[1].name
    root = path.parents[3]
    cwd = _known_dirs(str(root), *_mtimes(root)).get(dirname)
    if cwd:
        return cwd, project_name(cwd)
    if len(dirname) == 64 and set(dirname) <= _HEX:
        return None, ""  # a hash we cannot map back: project unknown
    return None, dirname


def _mtimes(root: Path) -> tuple[int, int]:
    out = []
    for name in ("projects.json", "trustedFolders.json"):
        try:
            out.append((root / name).stat().st_mtime_ns)
        except OSError:
            out.append(0)
    return out[0], out[1]


@lru_cache(maxsize=8)
def _known_dirs(root: str, _m1: int, _m2: int) -> dict[str, str]:
    """project dir name (sha256 of the path, or short name) -> path, from Gemini's own files."""
    paths: dict[str, str] = {}
    for name in ("projects.json", "trustedFolders.json"):
        try:
            obj = loads(Path(root, name).read_bytes())
        except (OSError, NotJSON):
            continue
        if type(obj) is dict and type(obj.get("projects")) is dict:
            obj = obj["projects"]
        if type(obj) is not dict:
            continue
        for p, short in obj.items():
            if type(p) is str and p:
                paths[p] = short if type(short) is str and name == "projects.json" else ""
    out: dict[str, str] = {}
    for p, short in paths.items():
        out[hashlib.sha256(p.encode()).hexdigest()] = p
        if short:
            out.setdefault(short, p)
    return out


SOURCE = Source(
    name="gemini",
    label="Gemini CLI",
    env_var="GEMINI_DIR",
    locations=(anywhere(".gemini"),),
    discover=discover_gemini_files,
    parse=parse_gemini_file,
)
