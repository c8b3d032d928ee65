"""What push and status report of skipped lines and repaired characters: each once, with totals."""

from __future__ import annotations

import orjson
from click.testing import CliRunner

from client.cli import main
from client.commands.status import local_status
from client.state import open_state
from tests.client import claude_lines as cl
from tests.client.push_helpers import append_turns, push_now, turn_lines

SID = "cccccccc-0000-4000-8000-000000000003"
LONE = b"\\ud800"


def _write(root, lines):
    return cl.write(root / "-home-demo-projects-widget" / f"{SID}.jsonl", lines)


def _lines_with_trouble() -> list:
    lines = [orjson.dumps(x) for x in turn_lines(SID, 0, 4)]
    lines[1] = lines[1].replace(b"message 1 from", b"cut " + LONE + b" and \xff from")
    lines.insert(2, b'{"type": "user", "message": oops}')  # truly not JSON: skipped, reported
    return lines


def test_repairs_and_skipped_lines_are_reported_once_and_kept_in_status(ingest, sources_root) -> None:
    path = _write(sources_root, _lines_with_trouble())
    first = push_now()
    assert first.failed == [] and first.applied == 1
    assert [(p.line, p.reason) for p in first.problems] == [(3, "malformed JSON line")]
    assert first.to_json()["repairs"] == {"invalid_utf8": 1, "lone_surrogates": 1, "files": 1}
    (content,) = ingest.rows("SELECT content FROM messages WHERE ordinal = 1")[0]
    assert content == "cut \ufffd and \ufffd from the assistant"  # repaired, sent, stored

    append_turns(path, SID, 4, 2)  # the log grows: it is parsed again, with the same old trouble
    second = push_now()
    assert second.applied == 1 and second.messages_sent == 2
    assert second.problems == [] and sum(second.repairs.values()) == 0

    with path.open("ab") as out:  # new trouble is new
        out.write(b"not json at all\n" + cl.jsonl(turn_lines(SID, 6, 1)))
    third = push_now()
    assert [(p.line, p.reason) for p in third.problems] == [(8, "malformed JSON line")]

    with open_state() as state:
        health = local_status(state, ingest.url, parse_key="")["parse_health"]
    assert health == {
        "files_with_skipped_lines": 1,
        "skipped_lines": 2,
        "files_repaired": 1,
        "repaired_invalid_utf8": 1,
        "repaired_lone_surrogates": 1,
    }
    printed = CliRunner().invoke(main, ["status"]).output
    assert "2 characters repaired to U+FFFD in 1 files" in printed and "2 lines skipped" in printed


def test_a_problem_found_by_verify_is_still_reported_by_the_next_push(ingest, sources_root) -> None:
    _write(sources_root, _lines_with_trouble())
    assert CliRunner().invoke(main, ["verify"]).exit_code == 1  # parses (and caches) the file first
    summary = push_now()  # takes the file from the cache: it must still report what it has not yet
    assert summary.files_parsed == 0
    assert [(p.line, p.reason) for p in summary.problems] == [(3, "malformed JSON line")]
    assert summary.to_json()["repairs"]["files"] == 1
    assert push_now().problems == []
