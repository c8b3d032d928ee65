"""``av-client delete``: the command (parse, call :mod:`client.commands.delete`, print)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from avprotocol.answers import HeldSession
from client.commands.delete import Chosen, Selection, choose, send, still_here
from client.wording import counted

EXIT_OK, EXIT_PARTIAL, EXIT_ERROR = 0, 1, 2


def _row(held: HeldSession) -> str:
    gone = " [gone locally]" if held.gone_locally_at else ""
    last = held.last_activity.strftime("%Y-%m-%d %H:%M") if held.last_activity else "-"
    title = (held.title or "").replace("\n", " ")[:60]
    return (
        f"{held.session_id}  {held.agent}  {held.project or '-'}  {last}  "
        f"{held.message_count} messages{gone}  {title}"
    )


def _show(chosen: Chosen) -> None:
    for held in chosen.sessions:
        click.echo(_row(held))
    for sid in chosen.unknown:
        click.echo(f"not on the server: {sid}", err=True)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _confirm(chosen: Chosen, yes: bool) -> None:
    if yes:
        return
    if not _interactive():
        click.echo("Error: refusing to delete without confirmation; pass --yes (or --dry-run)", err=True)
        sys.exit(EXIT_ERROR)
    if not click.confirm(
        f"Delete {counted(len(chosen.sessions), 'session')} ({counted(chosen.messages, 'message')}) from the server? "
        "The server cannot bring them back"
    ):
        click.echo("Nothing deleted.", err=True)
        sys.exit(EXIT_PARTIAL)


@click.command("delete")
@click.argument("session_ids", nargs=-1)
@click.option("--agent", help="Only sessions of this agent.")
@click.option("--project", help="Only sessions of this project.")
@click.option("--gone-locally", is_flag=True, help="Only sessions whose logs are gone from this machine.")
@click.option(
    "--before",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only sessions last active before this date (UTC), e.g. 2026-01-31.",
)
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--undo", is_flag=True, help="Lift the deletion of the named sessions: a push may send them again."
)
def delete_cmd(
    session_ids: tuple[str, ...],
    agent: str | None,
    project: str | None,
    gone_locally: bool,
    before: datetime | None,
    dry_run: bool,
    yes: bool,
    undo: bool,
) -> None:
    """Delete sessions from the server: those named, or those matching every filter given.

    History is kept by default (a session whose log disappeared stays on the server); this is
    how a session leaves it. Lists the sessions, asks, then deletes; a push never sends a deleted
    session again unless --undo lifts the deletion. Filters: --agent, --project, --gone-locally,
    --before; at least one id or filter is required.
    """
    from client.cli import _errors
    from client.commands.run import connected
    from client.state import open_state

    selection = Selection(
        session_ids, agent, project, gone_locally, before.replace(tzinfo=UTC) if before else None
    )
    if selection.empty:
        raise click.UsageError(
            "name sessions, or give a filter (--agent, --project, --gone-locally, --before)"
        )
    if undo and (agent or project or gone_locally or before or not session_ids):
        raise click.UsageError("--undo takes session ids only")
    with _errors(), connected() as client:
        if undo:
            statuses = send(client, list(session_ids), action="undelete")
            for sid in session_ids:
                click.echo(f"{sid}: {statuses.get(sid, 'no answer')}")
            sys.exit(EXIT_OK if all(statuses.get(s) == "undeleted" for s in session_ids) else EXIT_PARTIAL)
        chosen = choose(client, selection)
        _show(chosen)
        if not chosen.sessions:
            click.echo("Nothing to delete.")
            sys.exit(EXIT_PARTIAL if chosen.unknown else EXIT_OK)
        if dry_run:
            click.echo(
                f"Would delete {counted(len(chosen.sessions), 'session')} ({counted(chosen.messages, 'message')})."
            )
            sys.exit(EXIT_PARTIAL if chosen.unknown else EXIT_OK)
        _confirm(chosen, yes)
        ids = [h.session_id for h in chosen.sessions]
        statuses = send(client, ids, action="delete")
    deleted = [sid for sid in ids if statuses.get(sid) in ("deleted", "already_deleted")]
    click.echo(f"Deleted {counted(len(deleted), 'session')} from the server.")
    for sid in ids:
        if sid not in deleted:
            click.echo(f"not deleted {sid}: {statuses.get(sid, 'no answer')}", err=True)
    with open_state() as state:
        here = still_here(state, deleted)
    if here:
        click.echo(
            f"{len(here)} of them still have their logs on this machine; no push will send them again "
            "(`av-client delete --undo ID` allows it)"
        )
    sys.exit(EXIT_OK if len(deleted) == len(ids) and not chosen.unknown else EXIT_PARTIAL)
