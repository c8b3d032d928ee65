"""The av-client commands end to end through click, against the real ingest server."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from client.cli import main
from tests.client.push_helpers import append_turns, write_session

SID = "cccccccc-0000-4000-8000-000000000003"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_init_writes_private_config_and_token_and_rejects_local(tmp_path, monkeypatch) -> None:
    result = run(
        "init", "--endpoint", "https://ingest.example.com", "--token", "avd_tok123", "--machine", "box"
    )
    assert result.exit_code == 0 and "avd_tok123" not in result.output
    user = Path(os.environ["AV_USER_PATH"])
    config = json.loads((user / "config.json").read_text())
    assert config == {
        "endpoint": "https://ingest.example.com",
        "token_file": str(user / "token"),
        "machine": "box",
    }
    assert (user / "token").read_text().strip() == "avd_tok123"
    assert (user / "token").stat().st_mode & 0o777 == 0o600
    assert run("init", "--endpoint", "https://x.example", "--token", "t", "--machine", "local").exit_code == 2
    assert run("init", "--endpoint", "http://x.example", "--token", "t").exit_code == 2


def test_push_status_verify_through_the_cli(ingest, sources_root) -> None:
    path = write_session(sources_root, SID, 4)
    first = run("push", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["applied"] == 1 and ingest.token not in first.output
    append_turns(path, SID, 4, 2)
    dry = json.loads(run("push", "--dry-run", "--json").output)
    assert dry["would_send"] == 1 and dry["would_send_messages"] == 2
    status = json.loads(run("status", "--json").output)
    assert status["local"]["changed_files"] == 1 and status["server"]["sessions"] == 1
    differs = run("verify", "--json")
    assert differs.exit_code == 1 and json.loads(differs.output)["different"][0]["session_id"] == SID
    pushed = run("push")  # one session: said as such ("1 session", not "1 sessions")
    assert pushed.exit_code == 0 and "Pushed 1 session: 1 sent, 0 unchanged, 0 failed (" in pushed.output
    ok = run("verify")
    assert ok.exit_code == 0 and "1 identical" in ok.output
    # the server's real database id, as /v1/status and the database itself know it (it used to be null)
    (database_id,) = ingest.rows("SELECT value FROM av.meta WHERE key = 'database_id'")[0]
    assert (
        json.loads(run("verify", "--json").output)["database_id"]
        == database_id
        == status["server"]["database_id"]
    )
    assert f"(database {database_id})" in ok.output
    status = json.loads(run("status", "--json").output)
    assert status["local"]["pending_sessions"] == 0 and status["local"]["last_push"]["exit_code"] == 0


def test_verify_lists_sessions_missing_and_extra(ingest, sources_root) -> None:
    a = write_session(sources_root, SID, 2)
    run("push")
    a.unlink()  # gone locally, still on the server (no push since)
    write_session(sources_root, "dddddddd-0000-4000-8000-000000000004", 2)
    result = run("verify", "--json")
    report = json.loads(result.output)
    assert report["missing_on_server"] == ["dddddddd-0000-4000-8000-000000000004"]
    assert report["kept_on_server_gone_locally"] == [SID] and report["extra_on_server"] == []
    assert result.exit_code == 1  # for the missing one
    run("push")
    result = run("verify")
    assert result.exit_code == 0, result.output  # kept on the server, gone locally: history, not a fault
    assert "kept on the server, gone locally: 1 session (" in result.output
    mirrored = run("verify", "--json", env={"AV_MIRROR_DELETES": "true"})
    assert mirrored.exit_code == 1 and json.loads(mirrored.output)["extra_on_server"] == [SID]


def test_config_errors_exit_2_without_traceback(monkeypatch) -> None:
    result = run("push")
    assert result.exit_code == 2 and "av-client init" in result.output and "Traceback" not in result.output


def test_bad_redact_patterns_are_named(ingest, sources_root) -> None:
    user = Path(os.environ["AV_USER_PATH"])
    user.mkdir(parents=True, exist_ok=True)
    (user / "config.json").write_text(json.dumps({"redact_patterns": ["(oops"]}))
    result = run("push")
    assert result.exit_code == 2 and "redact_patterns[0]" in result.output


def test_an_unreachable_server_exits_2(monkeypatch, sources_root) -> None:
    write_session(sources_root, SID, 2)
    monkeypatch.setenv("AV_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("AV_TOKEN", "avd_x")
    monkeypatch.setattr("client.transport.IngestClient.sleep", staticmethod(lambda s: None))
    result = run("push")
    assert result.exit_code == 2 and "cannot reach" in result.output


@pytest.mark.parametrize("cmd", ["push", "status", "verify", "watch", "doctor", "init"])
def test_help_is_the_docstring(cmd: str) -> None:
    assert run(cmd, "--help").exit_code == 0


def test_push_in_flight_option_and_setting(ingest, sources_root, monkeypatch) -> None:
    from client import push

    used: list[int] = []
    real = push.PipelinedSender
    monkeypatch.setattr(
        push,
        "PipelinedSender",
        lambda post, *, in_flight, **kw: used.append(in_flight) or real(post, in_flight=in_flight, **kw),
    )
    write_session(sources_root, SID, 4)
    assert run("push", "--in-flight", "9").exit_code == 2  # bounds 1..8
    monkeypatch.setenv("AV_PUSH_IN_FLIGHT", "0")
    refused = run("push")
    assert refused.exit_code == 2 and "AV_PUSH_IN_FLIGHT must be a whole number from 1 to 8" in refused.output
    assert used == [] and ingest.rows("SELECT count(*) FROM sessions")[0][0] == 0
    sent = run("push", "--in-flight", "1", "--json")  # the option wins over the setting
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.output)["applied"] == 1 and used == [1]
    append_turns(write_session(sources_root, SID, 4), SID, 4, 2)
    monkeypatch.setenv("AV_PUSH_IN_FLIGHT", "3")
    assert run("push").exit_code == 0 and used == [1, 3]
