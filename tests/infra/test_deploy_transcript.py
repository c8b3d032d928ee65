"""docs/deploy.md's operator transcript is what the commands print, on an RDS-shaped cluster.

The "Roles and schema" block shows `av-admin roles --dry-run`, `roles`, `migrate` and a second
`migrate` with their output. Each command is run here as the RDS-shaped master user (conftest),
and what it prints must be the block's lines, so the transcript can neither be written by hand
nor fall behind a new migration: the failure prints the real output to paste.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from tests.infra.conftest import ManagedPg
from tests.infra.test_managed_postgres import admin

DEPLOY_MD = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
SHOWN = ("roles --dry-run", "roles", "migrate", "migrate")


def transcript() -> list[tuple[str, str]]:
    """(command, output) for each `$ .venv/bin/av-admin ...` of the block holding `roles --dry-run`."""
    text = DEPLOY_MD.read_text()
    blocks = re.findall(r"```console\n(.*?)```", text, re.S)
    block = next(b for b in blocks if "$ .venv/bin/av-admin roles --dry-run\n" in b)
    shown: list[tuple[str, str]] = []
    for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
        command, _, output = chunk.partition("\n")
        if command.startswith(".venv/bin/av-admin "):
            shown.append((command.removeprefix(".venv/bin/av-admin "), output))
    return shown


def test_the_roles_and_migrate_transcript_is_real_output(managed: ManagedPg) -> None:
    shown = transcript()
    assert [command for command, _ in shown] == list(SHOWN), shown
    env = {
        "AV_INGEST_DB_PASSWORD": secrets.token_urlsafe(30),
        "AV_VIEWER_DB_PASSWORD": secrets.token_urlsafe(30),
    }
    for command, output in shown:
        result = admin(managed, *command.split(), env=env)
        assert result.exit_code == 0, result.output
        assert result.output == output, (
            f"docs/deploy.md shows other output for `av-admin {command}` than it prints; "
            f"paste what it prints:\n{result.output}"
        )
