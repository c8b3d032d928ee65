"""Every byte arrives, over the real corpus: each source's files with lone surrogates and invalid UTF-8.

For every source, variants of the ../shared/corpus files are generated here, in
tmp_path (the corpus itself is never copied into the project): free-text string
values get a lone surrogate escape (``\\ud800``) or an invalid UTF-8 byte
appended. The oracle is the same variant with U+FFFD written where the bad
character was: parsing the bad variant must give exactly what parsing that
reference gives (sessions, messages, fingerprints, problems), with every bad
character counted as a repair, and as many messages as the untouched file.
The agentsview database is built from the real Claude sessions, bad bytes in
its text columns.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from client.scan import ScannedFile, parse_file
from client.sources.registry import Source, get_source
from tests.client.test_agentsview_db import NEW_SCHEMA
from tests.conformance.corpus import build_databases

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"real corpus not present at {CORPUS}"),
]

LONE, BAD = "QQLONEQQ", "QQBADQQ"  # placeholders, then the bad bytes or the reference's U+FFFD
BAD_BYTES = {LONE.encode(): b"\\ud800", BAD.encode(): b"\xff"}
FFFD = "\ufffd".encode()
FIXED_NS = 1_767_225_600 * 10**9  # every variant file's mtime (2026-01-01), so both variants agree


# Keys whose string values are text a person or a tool wrote, whatever their length.
TEXT_KEYS = frozenset({"text", "content", "title", "thinking", "summary", "output", "prompt", "body"})


def _is_free_text(value: str, key: str | None = None) -> bool:
    # Text a person or a tool wrote, not an id, timestamp or enum the parser dispatches on.
    return bool(value) and (key in TEXT_KEYS or (len(value) >= 6 and " " in value))


def _mark(obj: Any, counter: list[int], key: str | None = None) -> Any:
    """``obj`` with a placeholder appended to each free-text string, alternating the two kinds."""
    if isinstance(obj, dict):
        return {k: _mark(v, counter, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_mark(v, counter, key) for v in obj]
    if isinstance(obj, str) and _is_free_text(obj, key):
        counter[0] += 1
        return obj + (LONE if counter[0] % 2 else BAD)
    return obj


def _marked_lines(data: bytes) -> tuple[bytes, int]:
    counter = [0]
    out = []
    for raw in data.split(b"\n"):
        try:
            out.append(orjson.dumps(_mark(orjson.loads(raw), counter)))
        except orjson.JSONDecodeError:
            out.append(raw)  # blank, or malformed in the corpus itself: left as it is
    return b"\n".join(out), counter[0]


def _marked_text_lines(data: bytes) -> tuple[bytes, int]:
    """A Markdown log (Aider's): an invalid byte at the end of each free-text line, headers left
    alone (a run header's time must still parse), line endings kept. Only the invalid byte: a
    surrogate escape is JSON's, in Markdown it is six ordinary characters."""
    counter = [0]
    out = []
    for raw in data.split(b"\n"):
        body, cr = (raw[:-1], b"\r") if raw.endswith(b"\r") else (raw, b"")
        text = body.decode("utf-8", "replace")
        if not text.startswith("# ") and _is_free_text(text):
            counter[0] += 1
            body += BAD.encode()
        out.append(body + cr)
    return b"\n".join(out), counter[0]


def _marked_document(data: bytes) -> tuple[bytes, int]:
    counter = [0]
    return orjson.dumps(_mark(orjson.loads(data), counter)), counter[0]


def _bad(marked: bytes) -> bytes:
    for placeholder, bad in BAD_BYTES.items():
        marked = marked.replace(placeholder, bad)
    return marked


def _reference(marked: bytes) -> bytes:
    for placeholder in BAD_BYTES:
        marked = marked.replace(placeholder, FFFD)
    return marked


def _parse_tree(source: Source, root: Path) -> tuple[dict[str, ScannedFile], int]:
    """Every file below ``root`` parsed as a push parses it; and the characters repaired in all."""
    scanned = {}
    for path in source.discover(root):
        got = parse_file(source, path, None)
        assert got is not None
        scanned[str(path.relative_to(root))] = got
    return scanned, sum(n for f in scanned.values() for n in f.health.repairs.values())


def _as_compared(scanned: dict[str, ScannedFile]) -> dict[str, Any]:
    return {
        name: (
            [(p.line, p.reason) for p in f.problems],
            {sid: w for sid, w in sorted((f.wire or {}).items())},
        )
        for name, f in scanned.items()
    }


def _message_counts(scanned: dict[str, ScannedFile]) -> dict[str, dict[str, int]]:
    return {n: {s.session_id: s.message_count for s in f.sessions} for n, f in scanned.items()}


def _mark_database(db: Path) -> int:
    """Placeholders in a built SQLite store's text values: inside the JSON a value holds, else appended."""
    con = sqlite3.connect(db)
    marks = 0
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for rowid, *values in con.execute(f'SELECT rowid, * FROM "{table}"').fetchall():
            columns = [d[0] for d in con.execute(f'SELECT * FROM "{table}" LIMIT 0').description]
            for column, value in zip(columns, values, strict=True):
                if not isinstance(value, str):
                    continue
                counter = [0]
                try:
                    marked = orjson.dumps(_mark(orjson.loads(value), counter)).decode()
                except orjson.JSONDecodeError:
                    # Plain text: a byte that is not UTF-8 (outside JSON, "\ud800" is just text).
                    marked, counter[0] = (value + BAD, 1) if _is_free_text(value) else (value, 0)
                if counter[0]:
                    con.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', (marked, rowid))
                    marks += counter[0]
    con.commit()
    con.close()
    return marks


def _database_variant(db: Path, variant: Callable[[bytes], bytes]) -> None:
    """The marked database with its placeholders replaced, as raw bytes in text columns."""
    con = sqlite3.connect(db)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        columns = [d[0] for d in con.execute(f'SELECT * FROM "{table}" LIMIT 0').description]
        for column in columns:
            rows = con.execute(
                f'SELECT rowid, CAST("{column}" AS BLOB) FROM "{table}" WHERE typeof("{column}") = \'text\''
            ).fetchall()
            for rowid, raw in rows:
                if any(p in raw for p in BAD_BYTES):
                    con.execute(
                        f'UPDATE "{table}" SET "{column}" = CAST(? AS TEXT) WHERE rowid = ?',
                        (variant(raw), rowid),
                    )
    con.commit()
    con.close()


# Corpus roots with no text value a variant can mark (still parsed both ways and compared).
UNMARKABLE = {
    "zed/zstd-parent-child": "threads are zstd-compressed blobs",
    "zed/unsupported-data-type": "one thread of a data type the source refuses, with an empty summary",
    "windsurf/malformed": "its one chat value is truncated JSON the source reports",
    "openclaw/archive-naming/agents": "file naming only: every file is an empty object",
}

# Sources whose parsers read every line and every value: there each bad character is exactly one
# counted repair. (Others skip some lines or values unread, Codex's unused events say.)
EVERY_VALUE_READ = {"claude", "gemini"}


def _check_source(source: Source, corpus_root: Path, tmp_path: Path) -> None:
    """``source``'s files under ``corpus_root``, marked, both variants parsed and compared."""
    root = tmp_path / source.name
    marked: dict[Path, bytes] = {}
    injected = 0
    for path in corpus_root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        n = 0
        if path.suffix == ".jsonl" or ".jsonl." in path.name:  # archives: abc.jsonl.deleted.<time>
            data, n = _marked_lines(data)
        elif path.suffix == ".md":
            data, n = _marked_text_lines(data)
        elif path.suffix == ".json":
            try:
                data, n = _marked_document(data)
            except orjson.JSONDecodeError:
                pass  # not JSON in the corpus itself: left as it is
        marked[root / path.relative_to(corpus_root)] = data
        injected += n

    def write(variant: Callable[[bytes], bytes]) -> None:
        for path, data in marked.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(variant(data))
            os.utime(path, ns=(FIXED_NS, FIXED_NS))  # some sources take times from the file

    write(lambda data: data)
    databases = build_databases(root)
    original, _ = _parse_tree(source, root)
    assert original, f"no {source.name} files under {corpus_root}"
    for db in databases:
        injected += _mark_database(db)
    stores = {db: db.read_bytes() for db in databases}
    unmarkable = UNMARKABLE.get(str(corpus_root.relative_to(CORPUS)))
    if unmarkable is None:
        assert injected >= len(original), "the variants must exercise the repair path in every file"
    else:
        assert injected == 0, f"{corpus_root} is listed as unmarkable ({unmarkable}) but took marks"

    def variant_tree(variant: Callable[[bytes], bytes]) -> None:
        write(variant)
        for db, data in stores.items():
            db.write_bytes(data)
            for side in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
                side.unlink(missing_ok=True)
            _database_variant(db, variant)
            os.utime(db, ns=(FIXED_NS, FIXED_NS))

    variant_tree(_bad)
    bad, repairs = _parse_tree(source, root)
    variant_tree(_reference)  # the same paths, so source paths and fingerprints compare equal
    reference, none = _parse_tree(source, root)

    assert none == 0
    assert _as_compared(bad) == _as_compared(reference)
    if source.name in EVERY_VALUE_READ:
        assert repairs == injected
    elif unmarkable is None:
        assert 0 < repairs <= injected
    else:
        assert repairs == 0
    assert _message_counts(bad) == _message_counts(original)  # nothing dropped


def _every_root() -> list[tuple[str, str]]:
    from tests.conformance.test_corpus_push import CORPUS_ROOTS

    return [(agent, root) for agent, roots in sorted(CORPUS_ROOTS.items()) for root in roots]


@pytest.mark.parametrize(("agent", "root"), _every_root() if CORPUS.is_dir() else [])
def test_every_source_repairs_and_keeps_everything(agent: str, root: str, tmp_path: Path) -> None:
    _check_source(get_source(agent), CORPUS / root, tmp_path)


def _agentsview_db(path: Path, sessions: list[Any], variant: Callable[[bytes], bytes]) -> int:
    """An agentsview database holding ``sessions``, each message's text marked; returns the marks."""
    con = sqlite3.connect(path)
    con.executescript(NEW_SCHEMA)
    marks = 0
    for s in sessions:
        con.execute(
            "INSERT INTO sessions (id, project, agent, first_message, started_at, ended_at, file_path) "
            "VALUES (?, ?, ?, CAST(? AS TEXT), ?, ?, 'corpus')",
            (
                s.session_id,
                s.project,
                s.agent,
                variant(((s.first_message or "") + BAD).encode()),
                s.started_at,
                s.ended_at,
            ),
        )
        marks += 1
        for m in s.messages:
            usage = orjson.dumps({"input_tokens": 1, "output_tokens": 2, "note": f"usage {LONE}"})
            con.execute(
                "INSERT INTO messages (session_id, ordinal, role, content, timestamp, token_usage) "
                "VALUES (?, ?, ?, CAST(? AS TEXT), ?, ?)",
                (
                    s.session_id,
                    m.ordinal,
                    m.role,
                    variant((m.content + BAD).encode()),
                    m.timestamp,
                    variant(usage).decode(errors="surrogatepass"),
                ),
            )
            marks += 2
    con.commit()
    con.close()
    return marks


def test_agentsview_variants(tmp_path):
    claude = get_source("claude")
    projects = CORPUS / "claude" / "projects" / "-home-marco-projects-spotter"
    sessions = [
        s for p in claude.discover(projects.parent) if p.parent == projects for s in claude.parse(p)[0]
    ]
    assert sessions
    source = get_source("agentsview")
    db = tmp_path / "sessions.db"
    injected = _agentsview_db(db, sessions, _bad)
    bad = parse_file(source, db, None)
    db.unlink()
    _agentsview_db(db, sessions, _reference)
    reference = parse_file(source, db, None)
    assert bad is not None and reference is not None
    assert reference.health.repairs == {}
    assert sum(bad.health.repairs.values()) == injected
    assert bad.problems == reference.problems == []
    assert bad.wire == reference.wire
    assert {s.session_id: s.message_count for s in bad.sessions} == {
        s.session_id: len(s.messages) for s in sessions
    }
