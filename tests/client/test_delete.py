"""`av-client delete`: sessions leave the server only because a user asks; dry run, confirmation, undo."""

from __future__ import annotations

import json

from click.testing import CliRunner

from client.cli import main
from tests.client.push_helpers import push_now, write_session

A = "aaaaaaaa-0000-4000-8000-00000000000a"
B = "bbbbbbbb-0000-4000-8000-00000000000b"
C = "cccccccc-0000-4000-8000-00000000000c"


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["delete", *args], input=stdin, catch_exceptions=False)


def _live(ingest) -> list[str]:
    return [r[0] for r in ingest.rows("SELECT session_id FROM sessions WHERE deleted_at IS NULL ORDER BY 1")]


def test_filters_dry_run_confirmation_and_a_sticky_deletion(ingest, sources_root, monkeypatch) -> None:
    write_session(sources_root, A, 4)
    gone = write_session(sources_root, B, 3)
    write_session(sources_root, C, 2)
    push_now()
    gone.unlink()
    push_now()  # B is kept, marked gone

    assert run().exit_code == 2  # no id and no filter: refused, nothing chosen for the user
    listed = run("--gone-locally", "--dry-run")
    assert listed.exit_code == 0 and B in listed.output and A not in listed.output
    assert "[gone locally]" in listed.output and "Would delete 1 session (3 messages)" in listed.output
    assert _live(ingest) == [A, B, C]

    assert "Would delete 3 sessions" in run("--project", "widget", "--dry-run").output
    assert "Nothing to delete" in run("--project", "elsewhere").output
    refused = run(C)  # no terminal, no --yes: nothing is deleted
    assert refused.exit_code == 2 and "confirmation" in refused.output
    monkeypatch.setattr("client.cli_delete._interactive", lambda: True)
    declined = run(C, stdin="n\n")
    assert "Delete 1 session (2 messages) from the server?" in declined.output
    assert declined.exit_code == 1 and _live(ingest) == [A, B, C]

    done = run("--gone-locally", stdin="y\n")
    assert done.exit_code == 0 and "Deleted 1 session from the server" in done.output
    assert _live(ingest) == [A, C]
    assert ingest.rows(
        "SELECT count(*) FROM messages m JOIN sessions s ON s.id = m.session_pk WHERE s.session_id = %s", B
    ) == [(0,)]

    # A session whose log is still here: deleted on the server, and no push sends it back.
    here = run(A, "--yes")
    assert here.exit_code == 0 and "still have their logs on this machine" in here.output
    again = push_now()
    assert again.deleted_on_server == 1 and again.applied == 0 and _live(ingest) == [C]
    full = push_now(full=True)  # --full re-sends everything but what a user deleted
    assert full.deleted_on_server == 1 and full.applied == 1 and _live(ingest) == [C]
    verify = CliRunner().invoke(main, ["verify", "--json"])
    assert verify.exit_code == 0 and json.loads(verify.output)["deleted_on_server"] == [A]

    undo = run(A, "--undo")
    assert undo.exit_code == 0 and f"{A}: undeleted" in undo.output
    assert push_now().applied == 1 and _live(ingest) == [A, C]


def test_unknown_ids_are_named_and_nothing_else_happens_to_them(ingest, sources_root) -> None:
    write_session(sources_root, A, 2)
    push_now()
    result = run(A, "no-such-session", "--dry-run")
    assert result.exit_code == 1 and "not on the server: no-such-session" in result.output
    assert run("--undo", "--agent", "claude").exit_code == 2  # --undo takes ids only
    assert _live(ingest) == [A]
