"""av-client push against the real ingest app (uvicorn + TLS + PostgreSQL in this process)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import Field, field_validator

from client import parts
from client.commands.run import connected, run_push
from client.commands.verify import verify
from client.model import ParseProblem
from client.push import PushOptions
from client.sources import claude
from client.state import open_state
from tests.client import claude_lines as cl
from tests.client.push_helpers import append_turns, push_now, write_session

SID_A = "aaaaaaaa-0000-4000-8000-000000000001"
SID_B = "bbbbbbbb-0000-4000-8000-000000000002"


def _server(ingest, sid: str) -> tuple[int, str] | None:
    rows = ingest.rows(
        "SELECT message_count, fingerprint FROM sessions WHERE session_id = %s AND deleted_at IS NULL", sid
    )
    return (rows[0][0], rows[0][1]) if rows else None


def _verify_ok() -> None:
    with open_state() as state, connected() as client:
        report = verify(client, state)
    assert report.ok, report.to_json()


def test_first_push_sends_everything_and_second_is_one_plan_request(ingest, sources_root) -> None:
    write_session(sources_root, SID_A, 6)
    write_session(sources_root, SID_B, 3)
    first = push_now()
    assert (first.applied, first.have, first.failed) == (2, 0, [])
    assert first.messages_sent == 9
    assert _server(ingest, SID_A)[0] == 6
    second = push_now()
    assert (second.applied, second.have, second.messages_sent) == (0, 2, 0)
    assert second.requests == 1 and second.files_parsed == 0  # one /v1/plan; no file was even read
    _verify_ok()


def test_unchanged_files_are_not_read(ingest, sources_root, monkeypatch) -> None:
    write_session(sources_root, SID_A, 4)
    push_now()
    opened: list[Path] = []
    real = claude.parse_claude_file
    monkeypatch.setattr(claude, "SOURCE", replace(claude.SOURCE, parse=lambda p: opened.append(p) or real(p)))
    summary = push_now()
    assert opened == [] and summary.have == 1


def test_a_file_unreadable_for_now_is_read_again_next_time(ingest, sources_root, monkeypatch) -> None:
    write_session(sources_root, SID_A, 4)
    real = claude.parse_claude_file
    busy = ParseProblem("x", None, "database busy", transient=True)
    monkeypatch.setattr(claude, "SOURCE", replace(claude.SOURCE, parse=lambda p: ([], [busy])))
    first = push_now()
    assert first.applied == 0 and first.problems == [busy]
    monkeypatch.setattr(claude, "SOURCE", replace(claude.SOURCE, parse=real))
    second = push_now()  # not served from the parse cache: the file is read again
    assert second.applied == 1 and second.files_parsed == 1


def test_an_append_sends_only_the_new_messages(ingest, sources_root) -> None:
    path = write_session(sources_root, SID_A, 40)
    push_now()
    append_turns(path, SID_A, 40, 4)
    summary = push_now()
    assert summary.applied == 1 and summary.messages_sent == 4
    assert _server(ingest, SID_A)[0] == 44
    _verify_ok()


def test_an_edit_deep_inside_resends_from_a_nearby_checkpoint(ingest, sources_root) -> None:
    path = write_session(sources_root, SID_A, 100)
    push_now()
    lines = path.read_bytes().splitlines()
    lines[90] = lines[90].replace(b"message 90 from", b"message 90 (edited) from")
    path.write_bytes(b"\n".join(lines) + b"\n")
    summary = push_now()
    # Checkpoints at 99, 98, 96, 92, 84, …: 84 is the highest still equal, so 85…99 go, not 100.
    assert summary.applied == 1 and summary.messages_sent == 15
    _verify_ok()


def test_a_session_larger_than_a_request_goes_in_parts(ingest, sources_root, monkeypatch) -> None:
    monkeypatch.setattr(parts, "RAW_PIECE_BYTES", 4_000)
    monkeypatch.setattr(parts, "RAW_REQUEST_BYTES", 4_000)
    write_session(sources_root, SID_A, 120)
    summary = push_now()
    assert summary.applied == 1 and summary.messages_sent == 120
    assert summary.requests > 5  # one plan, then many parts
    assert _server(ingest, SID_A)[0] == 120
    _verify_ok()


def test_an_interrupted_push_is_finished_by_the_next(ingest, sources_root, monkeypatch) -> None:
    monkeypatch.setattr(parts, "RAW_PIECE_BYTES", 4_000)
    monkeypatch.setattr(parts, "RAW_REQUEST_BYTES", 4_000)
    write_session(sources_root, SID_A, 120)
    from client.transport import IngestClient

    real_post = IngestClient.post
    calls = {"n": 0}

    def killed_after_three(self, path, body, **kw):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real_post(self, path, body, **kw)

    monkeypatch.setattr(IngestClient, "post", killed_after_three)
    with pytest.raises(KeyboardInterrupt):
        push_now()
    held = _server(ingest, SID_A)
    assert held is None or held[1] == ""  # parts arrived, but no fingerprint until the complete part
    monkeypatch.setattr(IngestClient, "post", real_post)
    resumed = push_now()
    assert resumed.applied == 1 and resumed.messages_sent < 120  # send_from where the parts stopped
    _verify_ok()


def test_a_rebuilt_database_is_detected_and_healed_without_a_flag(ingest, sources_root) -> None:
    write_session(sources_root, SID_A, 5)
    first = push_now()
    ingest.rows("UPDATE meta SET value = gen_random_uuid()::text WHERE key = 'database_id' RETURNING 1")
    ingest.rows("DELETE FROM sessions RETURNING 1")
    healed = push_now()
    assert healed.database_changed and healed.database_id != first.database_id
    assert healed.applied == 1 and _server(ingest, SID_A)[0] == 5
    _verify_ok()


def test_full_resends_everything_and_repairs_a_damaged_server_copy(ingest, sources_root) -> None:
    write_session(sources_root, SID_A, 6)
    write_session(sources_root, SID_B, 3)
    push_now()
    ingest.rows("UPDATE messages SET content = 'damaged' WHERE ordinal = 2 RETURNING 1")
    ingest.rows("DELETE FROM messages WHERE ordinal = 5 RETURNING 1")
    plain = push_now()  # equal fingerprints: the server says it has them
    assert (plain.have, plain.applied, plain.messages_sent) == (2, 0, 0)
    dry = push_now(full=True, dry_run=True)
    assert (dry.would_send, dry.would_send_messages) == (2, 9)
    full = push_now(full=True)
    assert (full.have, full.applied, full.unchanged, full.messages_sent, full.failed) == (0, 2, 0, 9, [])
    damaged = ingest.rows("SELECT count(*) FROM messages WHERE content = 'damaged'")[0][0]
    assert damaged == 0 and _server(ingest, SID_A)[0] == 6
    assert ingest.rows("SELECT count(*) FROM messages")[0][0] == 9
    _verify_ok()


def test_a_disappeared_file_keeps_its_session_on_the_server(ingest, sources_root) -> None:
    keep = write_session(sources_root, SID_A, 3)
    gone = write_session(sources_root, SID_B, 3)
    push_now()
    gone.unlink()  # what Claude Code's cleanup does to transcripts older than 30 days
    summary = push_now()
    assert (summary.gone_marked, summary.deleted, summary.failed) == (1, 0, [])
    assert _server(ingest, SID_B)[0] == 3 and _server(ingest, SID_A)  # complete, both
    (gone_at,) = ingest.rows("SELECT gone_locally_at FROM sessions WHERE session_id = %s", SID_B)[0]
    assert gone_at is not None
    assert push_now().gone_marked == 0  # told once
    _verify_ok()  # kept on the server, gone locally: not a difference
    write_session(sources_root, SID_B, 3)  # the log is back (restored from a backup)
    assert push_now().have == 2
    assert ingest.rows("SELECT gone_locally_at FROM sessions WHERE session_id = %s", SID_B) == [(None,)]
    assert keep.exists()


def test_mirror_opt_in_deletes_what_disappeared(ingest, sources_root) -> None:
    write_session(sources_root, SID_A, 3)
    gone = write_session(sources_root, SID_B, 3)
    push_now()
    gone.unlink()
    assert push_now().gone_marked == 1  # first kept and marked, as by default
    # Then the user opts in (mirror_deletes): the server mirrors the disk.
    assert push_now(dry_run=True, mirror=True).would_delete == 1
    summary = push_now(mirror=True)
    assert summary.deleted == 1 and _server(ingest, SID_B) is None
    assert push_now(mirror=True).deleted == 0
    write_session(sources_root, SID_B, 3)
    assert push_now(mirror=True).applied == 1  # a mirror deletion is undone by the log coming back


def test_an_older_server_keeps_sessions_unmarked_and_nothing_is_deleted(
    ingest, sources_root, monkeypatch
) -> None:
    from avprotocol.requests import DeleteRequest

    class OldDeleteRequest(DeleteRequest):  # a server from before `action`: it refuses the field
        action: None = Field(default=None, exclude=True)

        @field_validator("action", mode="before")
        @classmethod
        def _unknown(cls, value: object) -> None:
            if value is not None:
                raise ValueError("extra inputs are not permitted")
            return None

    write_session(sources_root, SID_A, 3)
    gone = write_session(sources_root, SID_B, 3)
    push_now()
    gone.unlink()
    monkeypatch.setattr("ingest_fn.routes_machine.DeleteRequest", OldDeleteRequest)
    summary = push_now()
    assert summary.failed == [] and summary.gone_marked == 0 and summary.exit_code == 0
    assert summary.notices and "kept there but not marked" in summary.notices[0]
    assert _server(ingest, SID_B)[0] == 3


@pytest.mark.parametrize("in_flight", [1, 2])
def test_one_rejected_session_does_not_block_the_others(ingest, sources_root, in_flight) -> None:
    write_session(sources_root, SID_A, 3)
    cl.write(
        sources_root / "-home-demo-projects-widget" / f"{SID_B}.jsonl",
        [
            cl.user("hi", sid=SID_B, uuid="x1"),
            cl.assistant([cl.text_block("yo")], sid=SID_B, uuid="x2", parent="x1", model="m" * 300),
        ],
    )
    summary = push_now(in_flight=in_flight)
    assert summary.applied == 1 and [sid for sid, _ in summary.failed] == [SID_B]
    assert "model" in summary.failed[0][1] and summary.exit_code == 1
    assert _server(ingest, SID_A) and not _server(ingest, SID_B)


def test_dry_run_sends_and_records_nothing(ingest, sources_root) -> None:
    write_session(sources_root, SID_A, 3)
    summary = push_now(dry_run=True)
    assert summary.would_send == 1 and summary.would_send_messages == 3 and summary.applied == 0
    assert _server(ingest, SID_A) is None
    assert push_now().applied == 1


def test_secrets_are_redacted_before_they_leave(ingest, sources_root) -> None:
    key = "AKIA" + "ABCDEFGHIJKLMNOP"
    cl.write(
        sources_root / "-home-demo-projects-widget" / f"{SID_A}.jsonl",
        [
            cl.user(f"deploy with {key} please", sid=SID_A, uuid="r1"),
            cl.assistant([cl.text_block("done")], sid=SID_A, uuid="r2", parent="r1"),
        ],
    )
    summary = push_now()
    assert set(summary.redactions) == {"aws-access-token"}  # content, its text block and first_message
    stored = ingest.rows("SELECT content FROM messages ORDER BY ordinal")[0][0]
    assert key not in stored and "[REDACTED:aws-access-token]" in stored
    _verify_ok()
    raw = push_now(redact=False)  # opting out changes what the server holds
    assert raw.applied == 1 and key in ingest.rows("SELECT content FROM messages ORDER BY ordinal")[0][0]


def test_state_files_are_private(ingest, sources_root) -> None:
    write_session(sources_root, SID_A, 2)
    push_now()
    state = Path(os.environ["AV_USER_PATH"]) / "state.db"
    assert state.stat().st_mode & 0o777 == 0o600


def test_agent_and_project_filters(ingest, sources_root) -> None:
    write_session(sources_root, SID_A, 2)
    assert run_push(PushOptions(project="gadget")).sessions_seen == 0
    assert run_push(PushOptions(agent="codex")).sessions_seen == 0
    assert _server(ingest, SID_A) is None
    only = run_push(PushOptions(agent="claude", project="widget"))
    assert only.sessions_seen == 1 and only.applied == 1


def _forked_file(root: Path, sid: str) -> Path:
    """One Claude log holding two sessions: the main line and a fork of it."""

    def turns(prefix: str, parent: str, minute: int) -> list[dict]:
        lines, prev = [], parent
        for i in range(2):
            u, a = f"{prefix}u{i}", f"{prefix}a{i}"
            lines.append(
                cl.user(
                    f"{prefix} {i}", f"2026-01-05T11:{minute + i:02d}:00.000Z", sid=sid, uuid=u, parent=prev
                )
            )
            lines.append(cl.assistant([cl.text_block(f"{prefix} answer {i}")], f"2026-01-05T11:{minute + i:02d}:30.000Z",
                                      sid=sid, mid=f"m_{a}", uuid=a, parent=u))  # fmt: skip
            prev = a
        return lines

    root_lines = [
        cl.user("start", "2026-01-05T10:00:00.000Z", sid=sid, uuid="r", parent=None),
        cl.assistant(
            [cl.text_block("hi")], "2026-01-05T10:00:01.000Z", sid=sid, mid="m_r", uuid="ra", parent="r"
        ),
    ]
    lines = root_lines + turns("main", "ra", 0) + turns("alt", "ra", 30) + turns("more", "maina1", 40)
    return cl.write(root / "-home-demo-projects-widget" / f"{sid}.jsonl", lines)


def test_a_file_is_read_at_most_once_per_push(ingest, sources_root, monkeypatch) -> None:
    """A cached file's sessions can be sent in different rounds (one planned light, one in full):
    the file is read once, not once per round."""
    from client import push as push_module
    from client import scan

    path = _forked_file(sources_root, SID_A)
    first = push_now()
    assert first.applied == 2 and first.failed == []
    fork_id = next(sid for (sid,) in ingest.rows("SELECT session_id FROM sessions") if sid != SID_A)
    ingest.rows("DELETE FROM sessions RETURNING 1")  # the server lost both (no tombstone)
    with open_state() as state:  # ... and this machine forgot it had sent one of them
        target = state.target(ingest.url, first.database_id)
        state.unacknowledge(target, [fork_id])
    reads: list[str] = []
    real = scan.parse_file

    def counting(source, file, redactor):
        reads.append(str(file))
        return real(source, file, redactor)

    monkeypatch.setattr(scan, "parse_file", counting)
    monkeypatch.setattr(push_module, "parse_file", counting, raising=False)
    second = push_now()
    # Round 1: the fork is planned in full and sent (the file is read); the main session, planned
    # light, is unknown to the server and goes to round 2, where it is sent from that same reading.
    assert second.applied == 2 and second.failed == []
    assert reads == [str(path)]
    _verify_ok()


def test_an_agentsview_import_never_replaces_a_session_pushed_from_its_own_log(
    ingest, sources_root, tmp_path, monkeypatch
) -> None:
    import sqlite3

    from tests.client.test_agentsview_db import NEW_SCHEMA, _insert

    gone = write_session(sources_root, SID_B, 4)
    push_now()
    before = _server(ingest, SID_B)
    db = tmp_path / "agentsview.db"  # agentsview's flattened copy of the same session
    con = sqlite3.connect(db)
    con.executescript(NEW_SCHEMA)
    _insert(con, "sessions", id=SID_B, project="widget", agent="claude")
    _insert(con, "messages", session_id=SID_B, ordinal=0, role="user", content="flattened")
    con.commit()
    con.close()
    monkeypatch.setenv("AGENTSVIEW_DB", str(db))
    gone.unlink()  # the agent cleaned up its log; agentsview still has its copy
    summary = push_now()
    assert (summary.kept_server_copy, summary.applied, summary.failed) == (1, 0, [])
    assert _server(ingest, SID_B) == before  # the complete copy stays
    assert push_now().kept_server_copy == 1


def test_a_session_removed_from_a_store_of_many_is_kept_and_marked(
    ingest, sources_root, tmp_path, monkeypatch
) -> None:
    import sqlite3

    from client.commands.status import local_status
    from client.state import open_state
    from tests.client.test_agentsview_db import NEW_SCHEMA, _insert

    db = tmp_path / "sessions.db"  # one file, many sessions (as OpenCode, Goose, Zed… keep them)
    con = sqlite3.connect(db)
    con.executescript(NEW_SCHEMA)
    for sid in ("keep-me", "drop-me"):
        _insert(con, "sessions", id=sid, project="widget", agent="claude")
        for i in range(3):
            _insert(con, "messages", session_id=sid, ordinal=i, role="user", content=f"{sid} {i}")
    con.commit()
    monkeypatch.setenv("AGENTSVIEW_DB", str(db))
    assert push_now().applied == 2
    con.execute("DELETE FROM messages WHERE session_id = 'drop-me'")
    con.execute("DELETE FROM sessions WHERE id = 'drop-me'")
    con.commit()
    con.close()
    assert db.exists()  # the file stays: only one of its sessions left it
    summary = push_now()
    assert (summary.gone_marked, summary.failed) == (1, [])
    assert _server(ingest, "drop-me")[0] == 3 and _server(ingest, "keep-me")[0] == 3
    assert ingest.rows("SELECT session_id FROM sessions WHERE gone_locally_at IS NOT NULL") == [("drop-me",)]
    assert push_now().gone_marked == 0  # told once
    with open_state() as state:
        assert local_status(state, ingest.url, parse_key="")["pending_gone"] == 0
