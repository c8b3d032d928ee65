"""Zed's agent panel (``zed``): ``<Zed data>/threads/threads.db``, one row per thread.

Location: Linux ``~/.local/share/zed``, macOS ``~/Library/Application
Support/Zed``, Windows ``%LOCALAPPDATA%\\Zed``; ``ZED_DIR`` names the data
folder. Read through :mod:`client.sources.sqlite_store` (WAL, one snapshot).

* ``threads(id, summary, updated_at, data_type, data, parent_id?,
  folder_paths?, created_at?)`` — older databases have only the first five
  columns. ``data`` is the thread as JSON (``data_type`` ``json``) or
  zstd-compressed JSON (``zstd``); any other type is reported and skipped.
* Session id ``zed:<id>``; title ``summary``; start/end ``created_at`` (else
  ``updated_at``) / ``updated_at``; cwd the first of ``folder_paths``. A row
  with ``parent_id`` is a subagent thread of that one (agentsview leaves them
  out; they are sessions here, linked to their parent).
* Document: ``messages`` of ``{"User": {content}}`` / ``{"Agent": {content,
  tool_results}}``; content items ``{"Text": …}``, ``{"Thinking": {text}}``,
  ``{"ToolUse": {id, name, input | raw_input}}`` (attachments without text
  count as ``[attachment]``); ``tool_results`` maps a call id to ``output`` or
  ``content`` text. ``model.model`` is the thread's model.
* Usage: ``request_token_usage`` has input/output per request with no link to a
  message and no cache split; the thread's sums go on its last assistant
  message (each request counted once). Zed keeps no per-message time.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import zstandard

from client.model import Message, ParseProblem, Session, ToolCall, Usage
from client.sources.base import Source, sqlite_dependencies
from client.sources.paths import linux, macos, windows

from . import decoding
from .records import iso, number, obj, string, text_of
from .sqlite_store import read_store, table_columns
from .turns import SessionInfo, Turn, attach_usage, session

_REQUIRED = {"id", "summary", "updated_at", "data_type", "data"}
_OPTIONAL = ("parent_id", "folder_paths", "created_at")
MAX_THREAD_BYTES = 512 * 1024 * 1024  # a decompressed thread larger than this is refused, not loaded


def discover_zed_db(root: Path) -> list[Path]:
    db = Path(root) / "threads" / "threads.db"
    return [db] if db.is_file() else []


def _fetch(con: sqlite3.Connection) -> list[Any] | str:
    have = table_columns(con, "threads")
    if not _REQUIRED <= have:
        return "not a Zed threads database (threads table missing columns)"
    extra = ", ".join(c if c in have else "NULL" for c in _OPTIONAL)
    return con.execute(
        f"SELECT id, summary, updated_at, data_type, data, {extra} FROM threads ORDER BY id"
    ).fetchall()


def _document(kind: Any, data: Any) -> Any:
    raw = data.encode() if type(data) is str else data
    if type(raw) is not bytes:
        raise ValueError("no thread data")
    if kind == "zstd":
        raw = zstandard.ZstdDecompressor().decompressobj().decompress(raw)
        if len(raw) > MAX_THREAD_BYTES:
            raise ValueError("thread larger than the limit once decompressed")
    elif kind != "json":
        raise ValueError(f"unsupported data_type {kind!r}")
    return decoding.loads(raw)


def _walk(v: Any, out: list[dict[str, Any]]) -> None:
    if type(v) is dict:
        out.append(v)
        for child in v.values():
            _walk(child, out)
    elif type(v) is list:
        for child in v:
            _walk(child, out)


def _content(t: Turn, content: Any, calls: dict[str, ToolCall]) -> None:
    for item in content if type(content) is list else [content]:
        if type(item) is not dict:
            continue
        if "Text" in item:
            text = item["Text"]
            t.text(text if type(text) is str else string(text, "text"))
        elif "Thinking" in item:
            t.thinking(string(item["Thinking"], "text"))
        elif "ToolUse" in item:
            use = obj(item, "ToolUse")
            args = use.get("input") if use.get("input") is not None else use.get("raw_input")
            call = t.tool(string(use, "name") or "tool", string(use, "id"), args)
            if call.tool_use_id:
                calls[call.tool_use_id] = call
        elif item:
            found: list[dict[str, Any]] = []
            _walk(item, found)
            texts = [d["Text"] for d in found if type(d.get("Text")) is str]
            t.text("\n".join(texts) if texts else "[attachment]")


def _result_text(entry: Any) -> str | None:
    if type(entry) is not dict:
        return None
    if type(entry.get("output")) is str and entry["output"]:
        return str(entry["output"])
    found: list[dict[str, Any]] = []
    _walk(entry.get("content"), found)
    texts = [d["Text"] if type(d["Text"]) is str else string(d["Text"], "text") for d in found if "Text" in d]
    return "\n".join(t for t in texts if t) or None


def _messages(doc: dict[str, Any], model: str | None) -> list[Message | None]:
    out: list[Message | None] = []
    calls: dict[str, ToolCall] = {}
    items = doc.get("messages")
    for item in items if type(items) is list else ():
        if type(item) is not dict:
            continue
        if "User" in item:
            t = Turn("user")
            _content(t, obj(item, "User").get("content"), calls)
            out.append(t.message())
        elif "Agent" in item:
            agent = obj(item, "Agent")
            t = Turn("assistant", model=model)
            _content(t, agent.get("content"), calls)
            for call_id, entry in sorted(obj(agent, "tool_results").items()):
                call = calls.get(call_id)
                if call is not None:
                    call.result_content = _result_text(entry)
                    call.result_is_error = type(entry) is dict and entry.get("is_error") is True
            out.append(t.message())
    return out


def _usage(doc: dict[str, Any]) -> Usage | None:
    per_request = obj(doc, "request_token_usage")
    if not per_request:
        return None
    u = Usage()
    for entry in per_request.values():
        u.input_tokens += number(obj({"e": entry}, "e").get("input_tokens"))
        u.output_tokens += number(obj({"e": entry}, "e").get("output_tokens"))
    return u


def parse_zed_db(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    spath = str(path)
    rows = read_store(path, _fetch)
    if isinstance(rows, ParseProblem):
        return [], [rows]
    if isinstance(rows, str):
        return [], [ParseProblem(spath, None, rows)]
    sessions: list[Session] = []
    problems: list[ParseProblem] = []
    for tid, summary, updated, kind, data, parent, folders, created in rows:
        tid = text_of(tid) or ""
        try:
            doc = _document(text_of(kind), data)
        except (ValueError, zstandard.ZstdError) as exc:
            problems.append(ParseProblem(spath, None, f"thread {tid}: {exc}"))
            continue
        if type(doc) is not dict:
            problems.append(ParseProblem(spath, None, f"thread {tid}: not a JSON object"))
            continue
        model = string(obj(doc, "model"), "model") or None
        messages = _messages(doc, model)
        usage = _usage(doc)
        if usage is not None:
            attach_usage(messages, usage, model=model, note="Token usage of the thread")
        cwd = (text_of(folders) or "").strip().splitlines()
        parent_id = text_of(parent)
        info = SessionInfo(
            session_id=f"zed:{tid}",
            agent="zed",
            source_path=spath,
            cwd=cwd[0] if cwd else None,
            title=text_of(summary) or None,
            stamps=[iso(text_of(created)), iso(text_of(updated))],
            parent_session_id=f"zed:{parent_id}" if parent_id else None,
            relationship="subagent",
        )
        built = session(info, messages)
        if built is not None:
            sessions.append(built)
    return sessions, problems


SOURCE = Source(
    name="zed",
    label="Zed",
    env_var="ZED_DIR",
    locations=(linux("{data}/zed"), macos("{appsup}/Zed"), windows("{localapp}/Zed")),
    discover=discover_zed_db,
    parse=parse_zed_db,
    depends=sqlite_dependencies,
)
