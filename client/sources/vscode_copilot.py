"""VS Code Copilot Chat (``vscode-copilot``): chat sessions in VS Code's ``User`` folder.

Layout: ``workspaceStorage/<hash>/chatSessions/<id>.json|.jsonl`` (with
``workspaceStorage/<hash>/workspace.json`` naming the folder), and
``globalStorage/emptyWindowChatSessions/`` / ``transferredChatSessions/`` for
chats with no folder. ``.jsonl`` wins over ``.json`` for one id.

* ``.json`` is a snapshot of the session; ``.jsonl`` an operation log that
  replays to the same snapshot: line 1 ``{kind: 0, v: snapshot}``, then
  ``kind 1`` set the value at path ``k``, ``kind 2`` append ``v`` to the array
  at ``k`` (or, with ``i``, replace it from index ``i``, clamped to 0), ``kind
  3`` delete at ``k``. A line that is not JSON or cannot apply is reported and
  skipped.
* Snapshot: ``sessionId`` (else the file name), ``creationDate`` /
  ``lastMessageDate`` (ms), ``customTitle`` (the title), ``requests[]``: one
  user message (``message.text``) and one assistant message per request.
* Response items: text (``value``, consecutive pieces joined),
  ``inlineReference`` (a file mentioned inline), ``toolInvocationSerialized``
  (``toolId``, ``toolCallId``; a terminal command from ``toolSpecificData``);
  the invocation texts are kept as the call's input. VS Code does not keep tool
  output in this shape, so calls have no result. Other kinds carry no text.
* Model: ``result.metadata.resolvedModel``, else ``modelId`` without
  ``copilot/``. Usage: ``result.metadata.promptTokens`` (the whole prompt, no
  cache split) and ``outputTokens``, on newer builds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from client.model import Message, ParseProblem, Session, Usage
from client.sources.base import Source
from client.sources.paths import Location, linux, macos, windows

from . import decoding
from .copilot import normalize_model
from .records import iso, jsonl_records, number, obj, read_json, string
from .turns import SessionInfo, Turn, session

GLOBAL_FOLDERS = ("emptyWindowChatSessions", "transferredChatSessions")


def _sessions_in(folder: Path) -> list[Path]:
    try:
        files = [p for p in folder.iterdir() if p.suffix in (".json", ".jsonl") and p.is_file()]
    except OSError:
        return []
    stems = {p.stem for p in files if p.suffix == ".jsonl"}
    return sorted(p for p in files if p.suffix == ".jsonl" or p.stem not in stems)


def discover_chat_sessions(root: Path) -> list[Path]:
    root = Path(root)
    found: list[Path] = []
    try:
        workspaces = sorted((root / "workspaceStorage").iterdir())
    except OSError:
        workspaces = []
    for ws in workspaces:
        found += _sessions_in(ws / "chatSessions")
    for name in GLOBAL_FOLDERS:
        found += _sessions_in(root / "globalStorage" / name)
    return found


def workspace_dependencies(path: Path, sessions: Any) -> list[Path]:
    return [path.parent.parent / "workspace.json"] if path.parent.name == "chatSessions" else []


# -- the operation log ---------------------------------------------------------------------


class ReplayError(ValueError):
    pass


def _container(doc: Any, keys: list[Any]) -> Any:
    node = doc
    for key in keys:
        if type(node) is dict and type(key) is str:
            node = node.setdefault(key, {})
        elif type(node) is list and type(key) is int and -len(node) <= key < len(node):
            node = node[key]
        else:
            raise ReplayError(f"no element at {keys!r}")
    return node


def apply_operation(doc: Any, op: dict[str, Any]) -> Any:
    """``doc`` with one operation applied (``kind`` 0-3, see the module docstring)."""
    kind, keys, value = op.get("kind"), op.get("k"), op.get("v")
    if kind == 0:
        return value
    if type(keys) is not list or not keys:
        raise ReplayError("operation without a path")
    parent, last = _container(doc, keys[:-1]), keys[-1]
    if kind == 1:
        if type(parent) is dict and type(last) is str:
            parent[last] = value
        elif type(parent) is list and type(last) is int and -len(parent) <= last < len(parent):
            parent[last] = value
        elif type(parent) is list and type(last) is int and last == len(parent):
            parent.append(value)
        else:
            raise ReplayError(f"cannot set {keys!r}")
    elif kind == 2:
        target = _container(doc, keys)
        if type(target) is dict and not target:  # created by the walk: the array did not exist yet
            target = []
            _set(doc, keys, target)
        if type(target) is not list or type(value) is not list:
            raise ReplayError(f"cannot append at {keys!r}")
        index = op.get("i")
        if type(index) is int:
            del target[max(index, 0) :]
        target.extend(value)
    elif kind == 3:
        if type(parent) is dict and type(last) is str:
            parent.pop(last, None)
        elif type(parent) is list and type(last) is int and -len(parent) <= last < len(parent):
            del parent[last]
    else:
        raise ReplayError(f"unknown operation kind {kind!r}")
    return doc


def _set(doc: Any, keys: list[Any], value: Any) -> None:
    parent = _container(doc, keys[:-1])
    parent[keys[-1]] = value


def replay(data: bytes, spath: str, problems: list[ParseProblem]) -> Any:
    doc: Any = None
    for line_no, op in jsonl_records(data, spath, problems):
        try:
            doc = apply_operation(doc, op)
        except ReplayError as exc:
            problems.append(ParseProblem(spath, line_no, f"operation not applied: {exc}"))
    return doc


# -- sessions ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    return string(value, "value")


def chat_request(req: dict[str, Any]) -> tuple[Message | None, Message | None]:
    ts = iso(req.get("timestamp"))
    user = Turn("user", ts)
    user.text(_text(obj(req, "message").get("text")))
    meta = obj(obj(req, "result"), "metadata")
    model_id = string(req, "modelId").removeprefix("copilot/")
    model = string(meta, "resolvedModel") or (normalize_model(model_id) if model_id else None)
    t = Turn("assistant", ts, model=model or None)
    pending: list[str] = []

    def flush() -> None:
        if pending:
            t.text("".join(pending).strip())
            pending.clear()

    response = req.get("response")
    for item in response if type(response) is list else ():
        if type(item) is not dict:
            continue
        kind = item.get("kind")
        if kind is None and type(item.get("value")) is str:
            pending.append(item["value"])
        elif kind == "inlineReference":
            ref = obj(item, "inlineReference")
            where = string(ref, "fsPath", "path") or string(obj(ref, "uri"), "fsPath", "path")
            if where:
                pending.append(f"`{Path(where).name}`")
        elif kind == "toolInvocationSerialized" and string(item, "toolId"):
            flush()
            data = obj(item, "toolSpecificData")
            command = string(data, "command") or string(obj(data, "commandLine"), "original")
            args = {
                k: v
                for k, v in (
                    ("command", command),
                    ("invocationMessage", _text(item.get("invocationMessage"))),
                    ("pastTenseMessage", _text(item.get("pastTenseMessage"))),
                )
                if v
            }
            t.tool(string(item, "toolId"), string(item, "toolCallId"), args or None)
    flush()
    if "promptTokens" in meta or "outputTokens" in meta:
        t.usage = Usage(
            input_tokens=number(meta.get("promptTokens")), output_tokens=number(meta.get("outputTokens"))
        )
    return user.message(), t.message()


def workspace_folder(manifest: Path) -> str | None:
    """The folder a VS Code ``workspace.json`` names (a ``.code-workspace`` file's folder)."""
    if not manifest.is_file():
        return None
    doc = read_json(manifest, [], what="workspace file")
    uri = string(doc, "folder", "workspace")
    if not uri.startswith("file://"):
        return None
    where = unquote(urlsplit(uri).path)
    if len(where) > 2 and where[0] == "/" and where[2] == ":":
        where = where[1:]  # file:///C:/x -> C:/x
    return where if string(doc, "folder") else str(Path(where).parent)


def parse_chat_session(
    path: Path, *, agent: str = "vscode-copilot"
) -> tuple[list[Session], list[ParseProblem]]:
    path = Path(path)
    spath = str(path)
    problems: list[ParseProblem] = []
    if path.suffix == ".jsonl":
        try:
            data = path.read_bytes()
        except OSError as exc:
            return [], [ParseProblem(spath, None, f"cannot read file: {exc.strerror or exc}")]
        doc = replay(data, spath, problems)
    else:
        doc = read_json(path, problems, what="chat session file")
    if type(doc) is not dict:
        if doc is not None:
            problems.append(ParseProblem(spath, None, "chat session is not a JSON object"))
        return [], problems
    messages: list[Message | None] = []
    requests = doc.get("requests")
    for req in requests if type(requests) is list else ():
        if type(req) is dict:
            messages += chat_request(req)
    info = SessionInfo(
        session_id=f"{agent}:{string(doc, 'sessionId') or decoding.text(path.stem)}",
        agent=agent,
        source_path=spath,
        cwd=workspace_folder(path.parent.parent / "workspace.json")
        if path.parent.name == "chatSessions"
        else None,
        title=string(doc, "customTitle") or None,
        stamps=[iso(doc.get("creationDate")), iso(doc.get("lastMessageDate"))],
    )
    built = session(info, messages)
    return ([built] if built else []), problems


def _user_folders(app: str) -> tuple[Location, ...]:
    return (
        linux(f"{{config}}/{app}/User"),
        macos(f"{{appsup}}/{app}/User"),
        windows(f"{{appdata}}/{app}/User"),
    )


SOURCE = Source(
    name="vscode-copilot",
    label="VS Code Copilot Chat",
    env_var="VSCODE_COPILOT_DIR",
    locations=(*_user_folders("Code"), *_user_folders("Code - Insiders"), *_user_folders("VSCodium")),
    discover=discover_chat_sessions,
    parse=parse_chat_session,
    depends=workspace_dependencies,
)
