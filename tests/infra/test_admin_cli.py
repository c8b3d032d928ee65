"""av-admin against a real database: credentials are printed once, listed without secrets, revoked."""

from __future__ import annotations

from click.testing import CliRunner

from avcore.tokens import DEVICE_PREFIX, VIEWER_PREFIX, token_hash
from infra.cli import main


def test_device_and_viewer_lifecycle(db, monkeypatch) -> None:
    monkeypatch.setenv("AV_ADMIN_DSN", db.admin_dsn)
    runner = CliRunner()
    added = runner.invoke(main, ["device", "add", "laptop-1"])
    assert added.exit_code == 0, added.output
    token = added.stdout.strip().splitlines()[-1]
    assert token.startswith(DEVICE_PREFIX)
    with db.admin() as conn:
        stored = conn.execute("SELECT token_hash FROM devices").fetchone()[0]
    assert bytes(stored) == token_hash(token)  # only the hash is stored
    listed = runner.invoke(main, ["device", "list"])
    assert "laptop-1" in listed.output and token not in listed.output and "active" in listed.output
    assert runner.invoke(main, ["device", "revoke", "1"]).exit_code == 0
    assert "revoked" in runner.invoke(main, ["device", "list"]).output
    again = runner.invoke(main, ["device", "revoke", "1"])
    assert again.exit_code == 1 and "no active device with id 1" in again.output
    viewer = runner.invoke(main, ["viewer", "add", "me"])
    assert viewer.stdout.strip().splitlines()[-1].startswith(VIEWER_PREFIX)
    bad = runner.invoke(main, ["device", "add", "x", "--machine", "bad name!"])
    assert bad.exit_code == 1 and "invalid machine name" in bad.output


def test_migrate_and_roles_are_idempotent_commands(db, monkeypatch) -> None:
    monkeypatch.setenv("AV_ADMIN_DSN", db.admin_dsn)
    runner = CliRunner()
    assert runner.invoke(main, ["roles"]).exit_code == 0
    result = runner.invoke(main, ["migrate"])
    assert (
        result.exit_code == 0 and "schema is at version" in result.output and "applied" not in result.output
    )


def test_a_plaintext_remote_admin_dsn_is_refused_with_the_fix(monkeypatch) -> None:
    monkeypatch.setenv("AV_ADMIN_DSN", "postgresql://admin:hunter2@db.example.com/av?sslmode=disable")
    result = CliRunner().invoke(main, ["migrate"])
    assert result.exit_code == 1
    assert "db.example.com" in result.output and "verify-full" in result.output
    assert "hunter2" not in result.output
