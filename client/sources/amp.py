"""Amp (``amp``): one JSON document per thread, ``~/.local/share/amp/threads/T-<id>.json``.

The whole file is rewritten as the thread grows. ``{v, id, created, title,
messages[], env, meta}``:

* Session id: the file stem when it is a ``T-…`` id (it wins over a
  disagreeing ``id``), else ``id``. Project: ``env.initial.trees[0]``
  (``displayName``; its ``file://`` ``uri`` is the cwd). Start: ``created``
  (ms); end: the last ``meta.traces[]`` ``endTime``, widened by message times.
* Messages: ``role`` user/assistant, Anthropic-style blocks (``text``,
  ``thinking``, ``tool_use``). Tool results come in the next user message as
  ``tool_result`` blocks, canonical (``tool_use_id``, ``content``) or
  Amp-native (``toolUseID``, ``run: {status, result, error}``; ``error`` and
  ``cancelled`` are failures); a user message holding only results is no
  prompt.
* Usage per assistant message (``usage``: ``inputTokens``, ``outputTokens``,
  ``cacheCreationInputTokens``, ``cacheReadInputTokens``, ``model``,
  ``timestamp``). For ``gpt-*`` models Amp reports the uncached prompt as
  cache creation with input 0; it is counted as input (agentsview does the
  same). An assistant message with usage but no content is kept as
  ``[empty response]`` so its tokens count.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from client.model import Message, ParseProblem, Session, ToolCall, Usage
from client.sources.base import Source
from client.sources.paths import anywhere

from .records import iso, number, read_json, string
from .turns import SessionInfo, Turn, result_text, session

_THREAD_FILE = re.compile(r"^T-[A-Za-z0-9][A-Za-z0-9-]*\.json$")


def discover_amp_files(root: Path) -> list[Path]:
    try:
        return sorted(p for p in Path(root).iterdir() if _THREAD_FILE.match(p.name) and p.is_file())
    except OSError:
        return []


def amp_result(block: dict[str, Any]) -> tuple[str | None, bool]:
    """(text, is_error) of a canonical or Amp-native ``tool_result`` block."""
    run = block.get("run")
    if type(run) is not dict:
        return result_text(block.get("content")), block.get("is_error") is True
    status = run.get("status")
    if status in ("error", "cancelled"):
        err = run.get("error")
        return (string(err, "message") or str(status)), True
    res = run.get("result")
    if type(res) is dict:
        for key in ("output", "content", "diff"):
            if key in res:
                return result_text(res[key] if type(res[key]) is str else res[key]), False
    return result_text(res), False


def _result_id(block: dict[str, Any]) -> str:
    return string(block, "tool_use_id", "toolUseID")


def _usage(usage: dict[str, Any], model: str | None) -> Usage:
    inp, create = number(usage.get("inputTokens")), number(usage.get("cacheCreationInputTokens"))
    if model and model.startswith("gpt-"):
        inp, create = inp + create, 0
    return Usage(
        input_tokens=inp,
        output_tokens=number(usage.get("outputTokens")),
        cache_creation_tokens=create,
        cache_read_tokens=number(usage.get("cacheReadInputTokens")),
    )


def _message(raw: dict[str, Any], calls: dict[str, ToolCall]) -> Message | None:
    role = raw.get("role")
    if role not in ("user", "assistant"):
        return None
    usage = raw.get("usage") if role == "assistant" and type(raw.get("usage")) is dict else None
    model = string(usage, "model") or None
    t = Turn(role, iso(usage.get("timestamp")) if usage else None, model=model)
    content = raw.get("content")
    for block in content if type(content) is list else ():
        if type(block) is not dict:
            continue
        kind = block.get("type")
        if kind == "text":
            t.text(string(block, "text"))
        elif kind == "thinking":
            t.thinking(string(block, "thinking", "text"))
        elif kind == "tool_use" and string(block, "name"):
            call = t.tool(string(block, "name"), string(block, "id"), block.get("input"))
            if call.tool_use_id:
                calls[call.tool_use_id] = call
        elif kind == "tool_result":
            paired = calls.get(_result_id(block))
            if paired is not None:
                paired.result_content, paired.result_is_error = amp_result(block)
    if usage is not None:
        t.usage = _usage(usage, model)
        if t.empty:
            t.text("[empty response]")
    return t.message()


def parse_amp_file(path: Path) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    problems: list[ParseProblem] = []
    doc = read_json(path, problems, what="thread file")
    if doc is None:
        return [], problems
    if type(doc) is not dict:
        return [], [ParseProblem(str(path), None, "thread file is not a JSON object")]
    calls: dict[str, ToolCall] = {}
    raw_messages = doc.get("messages")
    messages = (
        [_message(m, calls) for m in raw_messages if type(m) is dict] if type(raw_messages) is list else []
    )
    stem = path.name.removesuffix(".json")
    sid = stem if _THREAD_FILE.match(path.name) else string(doc, "id") or stem
    cwd, project = _tree(doc.get("env"))
    meta = doc.get("meta")
    traces = meta.get("traces") if type(meta) is dict else None
    ends = [iso(t.get("endTime")) for t in traces if type(t) is dict] if type(traces) is list else []
    info = SessionInfo(
        session_id=f"amp:{sid}",
        agent="amp",
        source_path=str(path),
        cwd=cwd,
        project=project,
        title=string(doc, "title") or None,
        started_at=iso(doc.get("created")),
        ended_at=next((e for e in reversed(ends) if e), None),
    )
    built = session(info, messages)
    return ([built] if built else []), problems


def _tree(env: Any) -> tuple[str | None, str | None]:
    initial = env.get("initial") if type(env) is dict else None
    trees = initial.get("trees") if type(initial) is dict else None
    tree = trees[0] if type(trees) is list and trees and type(trees[0]) is dict else None
    if tree is None:
        return None, None
    uri = string(tree, "uri")
    cwd = unquote(urlsplit(uri).path) if uri.startswith("file://") else None
    name = string(tree, "displayName")
    return cwd, name or None


SOURCE = Source(
    name="amp",
    label="Amp",
    env_var="AMP_DIR",
    locations=(anywhere("{data}/amp/threads"),),
    discover=discover_amp_files,
    parse=parse_amp_file,
)
