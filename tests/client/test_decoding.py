"""Every byte arrives: invalid UTF-8 and lone surrogates are repaired, counted, never dropped.

The decoder itself, then each source on a log holding such characters (each of
these lost a line, a message, a file or a whole import before the repair).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import orjson
import pytest

from client.scan import parse_file, scan
from client.sources import decoding
from client.sources.agentsview_db import parse_agentsview_db
from client.sources.claude import parse_claude_file
from client.sources.codex import parse_codex_file
from client.sources.gemini import parse_gemini_file
from client.sources.registry import get_source
from client.state import open_state
from tests.client import claude_lines as cl
from tests.client import codex_lines as cx
from tests.client.test_agentsview_db import make_db

LONE = b"\\ud800"  # a JSON escape of a lone high surrogate, as it sits in the file
FFFD = "\ufffd"


# -- the decoder ---------------------------------------------------------------------------------


def test_valid_json_is_decoded_as_orjson_does_and_counts_nothing():
    raw = '{"a": "caf\u00e9 \\ud83d\\ude00 \\\\ud800", "n": [1, 2.5, 18446744073709551615]}'.encode()
    with decoding.counting() as repairs:
        assert decoding.loads(raw) == orjson.loads(raw)
        assert decoding.loads_repaired(raw) == orjson.loads(raw)  # the slow path agrees
    assert repairs.total == 0


def test_invalid_utf8_becomes_replacement_characters_and_is_counted():
    with decoding.counting() as repairs:
        got = decoding.loads(b'{"text": "ok \xff\xfe then \xe2\x82 end \xef\xbf\xbd"}')
    assert got == {"text": f"ok {FFFD}{FFFD} then {FFFD} end {FFFD}"}
    # The last U+FFFD was in the file already (valid UTF-8): it is not a repair.
    assert (repairs.invalid_utf8, repairs.lone_surrogates) == (3, 0)


def test_lone_surrogates_become_replacement_characters_in_values_and_keys():
    raw = b'{"a": "x' + LONE + b'y", "\\udc00k": ["\\ude00", "\\ud83d\\ude00", "\\\\ud800"]}'
    with decoding.counting() as repairs:
        got = decoding.loads(raw)
    assert got == {"a": f"x{FFFD}y", f"{FFFD}k": [FFFD, "\U0001f600", "\\ud800"]}
    assert (repairs.invalid_utf8, repairs.lone_surrogates) == (0, 3)
    assert orjson.dumps(got)  # valid Unicode now: it can be sent


def test_what_is_not_json_stays_not_json():
    for raw in (b'{"a": ', b"NaN", b'{"a": Infinity}', b"\xff\xfe", b'{"a": "\\ud800"'):
        with pytest.raises(decoding.NotJSON):
            decoding.loads(raw)


def test_big_integers_decode_as_orjson_would():
    assert decoding.loads_repaired(b'{"n": 123456789012345678901234567890, "x": "\xff"}')["n"] == float(
        123456789012345678901234567890
    )


def test_text_repairs_bytes_and_strings():
    with decoding.counting() as repairs:
        assert decoding.text(b"caf\xc3\xa9") == "caf\u00e9"
        assert decoding.text(b"a\xedb") == f"a{FFFD}b"
        assert decoding.text("a\ud800b") == f"a{FFFD}b"
        assert decoding.text("plain") == "plain"
    assert (repairs.invalid_utf8, repairs.lone_surrogates) == (1, 1)


def test_counts_stay_inside_their_block():
    with decoding.counting() as outer:
        decoding.text(b"\xff")
        with decoding.counting() as inner:
            decoding.text(b"\xff\xff")
    assert (outer.total, inner.total) == (1, 2)
    decoding.text(b"\xff")  # no block open: repaired, counted nowhere, no error


# -- every source keeps what it used to drop -----------------------------------------------------


def _claude(tmp_path: Path, *lines: dict | bytes) -> Path:
    return cl.write(tmp_path / "-home-demo-projects-widget" / f"{cl.SID}.jsonl", list(lines))


def test_claude_keeps_lines_with_lone_surrogates_and_invalid_utf8(tmp_path):
    path = _claude(
        tmp_path,
        cl.user("first"),
        orjson.dumps(cl.assistant([cl.text_block("PLACEHOLDER")])).replace(b"PLACEHOLDER", b"half " + LONE),
        orjson.dumps(cl.user("PLACEHOLDER", "2026-01-05T10:00:09.000Z")).replace(
            b"PLACEHOLDER", b"bad \xc3("
        ),
        cl.assistant([cl.text_block("last")], "2026-01-05T10:00:10.000Z", mid="msg_2"),
    )
    with decoding.counting() as repairs:
        (session,), problems = parse_claude_file(path)
    assert problems == []
    assert [m.content for m in session.messages] == ["first", f"half {FFFD}", f"bad {FFFD}(", "last"]
    assert (repairs.invalid_utf8, repairs.lone_surrogates) == (1, 1)


def test_codex_keeps_lines_with_lone_surrogates_and_invalid_utf8(tmp_path):
    lines = [cx.meta(), cx.user("PLACEHOLDER-1"), cx.assistant("PLACEHOLDER-2"), cx.user("after")]
    raw = [orjson.dumps(x) for x in lines]
    raw[1] = raw[1].replace(b"PLACEHOLDER-1", b"emoji cut " + LONE)
    raw[2] = raw[2].replace(b"PLACEHOLDER-2", b"bytes \xff\xfe")
    path = cx.write(tmp_path / "2026" / "01" / "05" / f"rollout-2026-01-05T10-00-00-{cx.SID}.jsonl", raw)
    with decoding.counting() as repairs:
        (session,), problems = parse_codex_file(path)
    assert problems == []
    assert [m.content for m in session.messages] == [f"emoji cut {FFFD}", f"bytes {FFFD}{FFFD}", "after"]
    assert (repairs.invalid_utf8, repairs.lone_surrogates) == (2, 1)


def test_gemini_file_with_one_bad_character_is_kept_whole(tmp_path):
    chat = {
        "sessionId": "s-1",
        "startTime": "2026-01-05T10:00:00Z",
        "messages": [
            {"id": "u1", "timestamp": "2026-01-05T10:00:00Z", "type": "user", "content": "PLACEHOLDER"},
            {"id": "a1", "timestamp": "2026-01-05T10:00:05Z", "type": "gemini", "content": "fine"},
        ],
    }
    path = tmp_path / "tmp" / "widget" / "chats" / "session-1.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(orjson.dumps(chat).replace(b"PLACEHOLDER", b"cut " + LONE + b" and \xff"))
    with decoding.counting() as repairs:
        (session,), problems = parse_gemini_file(path)
    assert problems == []
    assert [m.content for m in session.messages] == [f"cut {FFFD} and {FFFD}", "fine"]
    assert repairs.total == 2


def test_agentsview_import_with_invalid_utf8_keeps_every_session(tmp_path):
    db = make_db(tmp_path / "sessions.db")
    clean, _ = parse_agentsview_db(db)
    con = sqlite3.connect(db)
    # Text columns holding bytes that are not UTF-8 (what a lone surrogate becomes when a writer
    # encodes it anyway): sqlite3 refused to decode them and the import ended with 0 sessions.
    bad_messages = con.execute(
        "UPDATE messages SET content = CAST(? AS TEXT) WHERE ordinal = 0", (b"Add \xed\xa0\x80 rate",)
    ).rowcount
    bad_sessions = con.execute(
        "UPDATE sessions SET first_message = CAST(? AS TEXT)", (b"Add \xff rate",)
    ).rowcount
    con.commit()
    con.close()
    with decoding.counting() as repairs:
        sessions, problems = parse_agentsview_db(db)
    assert problems == []
    assert [s.session_id for s in sessions] == [s.session_id for s in clean]
    session = next(s for s in sessions if s.session_id == "abc-123")
    assert session.messages[0].content == f"Add {FFFD * 3} rate"
    assert session.first_message == f"Add {FFFD} rate"
    assert repairs.invalid_utf8 == 3 * bad_messages + bad_sessions  # every row read, each repair counted


def test_agentsview_usage_json_with_a_lone_surrogate_is_read(tmp_path):
    db = make_db(tmp_path / "sessions.db")
    con = sqlite3.connect(db)
    usage = '{"input_tokens": 7, "output_tokens": 3, "note": "\\ud800"}'
    con.execute("UPDATE messages SET token_usage = ? WHERE ordinal = 1", (usage,))
    con.commit()
    con.close()
    sessions, _ = parse_agentsview_db(db)
    u = next(s for s in sessions if s.session_id == "abc-123").messages[1].usage
    assert u is not None and (u.input_tokens, u.output_tokens) == (7, 3)


# -- an agentsview database in WAL mode ----------------------------------------------------------


def _wal_writer(db: Path) -> sqlite3.Connection:
    """A connection that writes to the WAL only (no checkpoint while it is open), as agentsview does."""
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    con.execute("PRAGMA wal_autocheckpoint = 0")
    return con


def _add_session(con: sqlite3.Connection, sid: str) -> None:
    con.execute("INSERT INTO sessions (id, project, agent) VALUES (?, 'wal', 'claude')", (sid,))
    con.execute(
        "INSERT INTO messages (session_id, ordinal, role, content) VALUES (?, 0, 'user', 'from the WAL')",
        (sid,),
    )
    con.commit()


def test_sessions_only_in_the_wal_are_read(tmp_path):
    db = make_db(tmp_path / "sessions.db")
    before = {s.session_id for s in parse_agentsview_db(db)[0]}
    writer = _wal_writer(db)
    try:
        _add_session(writer, "wal-1")
        assert (tmp_path / "sessions.db-wal").stat().st_size > 0
        sessions, problems = parse_agentsview_db(db)
        assert problems == [] and {s.session_id for s in sessions} == before | {"wal-1"}
    finally:
        writer.close()


def test_a_wal_only_change_is_not_taken_from_the_parse_cache(tmp_path, monkeypatch):
    db = make_db(tmp_path / "sessions.db")
    monkeypatch.setenv("AGENTSVIEW_DB", str(db))
    before = {s.session_id for s in parse_agentsview_db(db)[0]}
    writer = _wal_writer(db)
    source = get_source("agentsview")
    try:
        _add_session(writer, "wal-1")
        first = parse_file(source, db, None)
        assert first is not None
        with open_state(tmp_path / "state.db") as state:
            state.save_files([first.record("k")])
            main_file = db.stat().st_mtime_ns, db.stat().st_size
            _add_session(writer, "wal-2")  # reaches sessions.db-wal only
            assert (db.stat().st_mtime_ns, db.stat().st_size) == main_file
            (chunk,) = scan(chosen=[source], cache=state.cached_files(), parse_key="k", redactor=None)
    finally:
        writer.close()
    (scanned,) = [f for f in chunk if f.path == str(db)]
    assert not scanned.from_cache
    assert {s.session_id for s in scanned.sessions} == before | {"wal-1", "wal-2"}


def test_a_log_whose_file_name_is_not_utf8_is_still_sent(tmp_path):
    name = os.fsdecode(b"session-\xff.jsonl")  # Python holds the byte as a lone surrogate
    path = cl.write(tmp_path / "-home-demo-projects-widget" / name, [cl.user("hello")])
    scanned = parse_file(get_source("claude"), path, None)
    assert scanned is not None and scanned.wire is not None
    (wire,) = scanned.wire.values()
    assert wire["session_id"] == f"session-{FFFD}" and wire["source_path"].endswith(f"session-{FFFD}.jsonl")
    assert orjson.dumps(wire)
    assert scanned.health.repairs == {"lone_surrogates": 2}


def test_every_sqlite_store_is_read_repaired(tmp_path):
    from client.sources.sqlite_store import read_store

    db = tmp_path / "store.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (v TEXT)")
    con.executemany("INSERT INTO t VALUES (CAST(? AS TEXT))", [(b"fine",), (b"bad \xff here",)])
    con.commit()
    con.close()
    with decoding.counting() as repairs:
        rows = read_store(db, lambda c: [r[0] for r in c.execute("SELECT v FROM t ORDER BY rowid")])
    assert rows == ["fine", f"bad {FFFD} here"]  # not a ParseProblem for the whole store
    assert repairs.invalid_utf8 == 1
