"""av-admin: the operator's command. Thin: parse, call one function, print."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
import psycopg

from avcore.db.policy import InsecureConnectionError, InvalidDsnError
from avcore.db.pool import DatabaseUnavailable
from avprotocol import __version__
from infra.admin_db import admin_dsn, become_owner, connect_admin
from infra.migrate import DEFAULT_LOCK_TIMEOUT_MS

dsn_option = click.option("--dsn", help="Administrator DSN (default: $AV_ADMIN_DSN).")
insecure_option = click.option(
    "--allow-insecure",
    is_flag=True,
    help="Allow a plaintext connection to a non-local PostgreSQL (not recommended).",
)
dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Print the SQL statements this would run, and change nothing."
)


@contextmanager
def owner_connection(dsn: str | None, allow_insecure: bool) -> Iterator[psycopg.Connection]:
    """An administrator connection acting as av_owner (credentials live in its tables)."""
    with connect_admin(admin_dsn(dsn), allow_insecure=allow_insecure) as conn:
        become_owner(conn)
        yield conn


class AdminGroup(click.Group):
    """Turns expected failures into one clear line and exit code 1, no traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (InsecureConnectionError, InvalidDsnError, DatabaseUnavailable) as exc:
            raise click.ClickException(str(exc)) from None
        except psycopg.errors.InsufficientPrivilege as exc:
            # Anything the command-specific checks did not foresee still names the refusal.
            raise click.ClickException(
                f"permission denied: {exc.diag.message_primary}. The administrator DSN's role lacks a "
                "privilege this command needs; run `av-admin roles` as the RDS/Aurora master user "
                "(or another role with CREATEROLE) first"
            ) from None
        except RuntimeError as exc:
            if type(exc).__module__.startswith(("infra", "avcore")):
                raise click.ClickException(str(exc)) from None
            raise


@click.group(cls=AdminGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="av-admin")
def main() -> None:
    """Operate av-cloud: database roles, migrations, credentials, the local stack.

    Every database command works as a non-superuser with CREATEROLE (the master user of
    Amazon RDS and Aurora), speaks TLS to any non-local host, and takes --dry-run.
    """


@main.command()
@dsn_option
@insecure_option
@dry_run_option
def roles(dsn: str | None, allow_insecure: bool, dry_run: bool) -> None:
    """Create or update the owner, ingest and viewer roles and the schema (idempotent).

    Needs CREATEROLE (not SUPERUSER) and ownership of the database. Passwords for the two
    login roles are taken from $AV_INGEST_DB_PASSWORD and $AV_VIEWER_DB_PASSWORD when set;
    otherwise existing passwords are kept. Only what differs is changed, in one transaction.
    """
    from infra.roles import apply_roles, plan_roles

    with connect_admin(admin_dsn(dsn), allow_insecure=allow_insecure) as conn:
        plan = plan_roles(
            conn,
            ingest_password=os.environ.get("AV_INGEST_DB_PASSWORD"),
            viewer_password=os.environ.get("AV_VIEWER_DB_PASSWORD"),
        )
        if dry_run:
            click.echo(plan.script())
        else:
            apply_roles(conn, plan)
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not dry_run:
        done = f"{len(plan.steps)} change(s)" if plan.steps else "nothing to change"
        click.echo(f"roles av_owner, av_ingest, av_viewer are in place ({done})")


@main.command()
@dsn_option
@insecure_option
@dry_run_option
@click.option(
    "--lock-timeout",
    "lock_timeout_ms",
    type=click.IntRange(min=100),
    default=DEFAULT_LOCK_TIMEOUT_MS,
    show_default=True,
    help=(
        "Milliseconds a migration may wait for a table lock before it is rolled back "
        "(not online index builds: their lock blocks no reads or writes)."
    ),
)
def migrate(dsn: str | None, allow_insecure: bool, dry_run: bool, lock_timeout_ms: int) -> None:
    """Apply pending schema migrations (idempotent, under an advisory lock).

    Runs as av_owner (SET ROLE), so the administrator needs only membership in it.
    """
    from infra.migrate import applied_version, migration_script
    from infra.migrate import migrate as run

    with connect_admin(admin_dsn(dsn), allow_insecure=allow_insecure) as conn:
        if dry_run:
            click.echo(migration_script(conn))
            return
        done = run(conn, lock_timeout_ms=lock_timeout_ms)
        version = applied_version(conn)
    for m in done:
        click.echo(f"applied {m.version:04d}_{m.name}")
    click.echo(f"schema is at version {version}")


@main.group()
def device() -> None:
    """Device credentials (one per machine that pushes)."""


@device.command("add")
@click.argument("name")
@click.option("--machine", help="Machine the device pushes as (default: NAME).")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    default=("push",),
    show_default=True,
    type=click.Choice(["push"]),
    help="What the token may do (repeatable).",
)
@dsn_option
@insecure_option
@dry_run_option
def device_add(
    name: str,
    machine: str | None,
    scopes: tuple[str, ...],
    dsn: str | None,
    allow_insecure: bool,
    dry_run: bool,
) -> None:
    """Create a device token; it is printed once and stored only as a hash."""
    from infra.credentials import add_device, add_device_script

    if dry_run:
        click.echo(add_device_script(machine=machine or name, name=name, scopes=scopes))
        return
    with owner_connection(dsn, allow_insecure) as conn:
        issued = add_device(conn, machine=machine or name, name=name, scopes=scopes)
    click.echo(
        f"device {issued.id} for machine {machine or name!r}. Token (shown once, store it now):", err=True
    )
    click.echo(issued.token)


@device.command("list")
@dsn_option
@insecure_option
def device_list(dsn: str | None, allow_insecure: bool) -> None:
    """List devices (never their tokens)."""
    from infra.credentials import list_devices

    with owner_connection(dsn, allow_insecure) as conn:
        for d in list_devices(conn):
            state = f"revoked {d.revoked_at:%Y-%m-%d}" if d.revoked_at else "active"
            seen = f"{d.last_seen_at:%Y-%m-%d %H:%M}" if d.last_seen_at else "never"
            click.echo(f"{d.id}\t{d.name}\tmachine={d.machine}\t{d.hint}\tlast seen {seen}\t{state}")


@device.command("revoke")
@click.argument("device_id", type=int)
@dsn_option
@insecure_option
@dry_run_option
def device_revoke(device_id: int, dsn: str | None, allow_insecure: bool, dry_run: bool) -> None:
    """Revoke a device; its next request is refused."""
    from infra.credentials import revoke_device, revoke_device_script

    if dry_run:
        click.echo(revoke_device_script(device_id))
        return
    with owner_connection(dsn, allow_insecure) as conn:
        revoke_device(conn, device_id)
    click.echo(f"device {device_id} revoked")


@main.group()
def viewer() -> None:
    """Viewer credentials (bearer tokens for scripts, and the browser login)."""


@viewer.command("add")
@click.argument("name")
@dsn_option
@insecure_option
@dry_run_option
def viewer_add(name: str, dsn: str | None, allow_insecure: bool, dry_run: bool) -> None:
    """Create a viewer token; it is printed once and stored only as a hash."""
    from infra.credentials import add_viewer, add_viewer_script

    if dry_run:
        click.echo(add_viewer_script(name=name))
        return
    with owner_connection(dsn, allow_insecure) as conn:
        issued = add_viewer(conn, name=name)
    click.echo(f"viewer credential {issued.id}. Token (shown once, store it now):", err=True)
    click.echo(issued.token)


@viewer.command("revoke")
@click.argument("viewer_id", type=int)
@dsn_option
@insecure_option
@dry_run_option
def viewer_revoke(viewer_id: int, dsn: str | None, allow_insecure: bool, dry_run: bool) -> None:
    """Revoke a viewer credential (and every browser login made with it)."""
    from infra.credentials import revoke_viewer, revoke_viewer_script

    if dry_run:
        click.echo(revoke_viewer_script(viewer_id))
        return
    with owner_connection(dsn, allow_insecure) as conn:
        revoke_viewer(conn, viewer_id)
    click.echo(f"viewer credential {viewer_id} revoked")


@main.group()
def local() -> None:
    """The local stack: PostgreSQL + both functions over HTTPS on this machine."""


@local.command("up")
@click.option("--machine", help="Machine name for this computer's device (default: host name).")
def local_up(machine: str | None) -> None:
    """Start (or reuse) the local stack and enroll this machine."""
    from infra.local.stack import Stack

    stack = Stack.default()
    state = stack.up(machine=machine, say=lambda line: click.echo(line, err=True))
    env = stack.env()
    click.echo(f"local stack is up in {stack.data}", err=True)
    click.echo(f"  ingest  {env['AV_ENDPOINT']}   (device for machine {state['machine']!r})", err=True)
    click.echo(f"  viewer  {env['AV_VIEWER_URL']}", err=True)
    click.echo('  load the settings with: eval "$(av-admin local env)"', err=True)


@local.command("env")
def local_env() -> None:
    """Print export lines for AV_ENDPOINT, AV_TOKEN, AV_CA_BUNDLE, AV_VIEWER_URL, AV_VIEWER_TOKEN."""
    import shlex

    from infra.local.stack import Stack

    for key, value in Stack.default().env().items():
        click.echo(f"export {key}={shlex.quote(value)}")


@local.command("down")
def local_down() -> None:
    """Stop everything `local up` started (data is kept)."""
    from infra.local.stack import Stack

    stopped = Stack.default().down()
    click.echo("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))


@local.command("reset")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--machine", help="Machine name for this computer's device (default: the current one).")
def local_reset(yes: bool, machine: str | None) -> None:
    """Delete the local stack's database, credentials and CA, and start it afresh.

    Every session the local stack holds is deleted. Asks for confirmation unless --yes.
    """
    from infra.local.stack import Stack

    stack = Stack.default()
    if not yes:
        if not sys.stdin.isatty():
            raise click.ClickException("refusing to reset without confirmation; pass --yes")
        click.confirm(
            f"Reset the local stack in {stack.data}? Every session it holds, its tokens and its CA "
            "are deleted",
            abort=True,
        )
    state, removed = stack.reset(machine=machine)
    for path in removed:
        click.echo(f"deleted {path}", err=True)
    env = stack.env()
    click.echo(f"local stack is up afresh in {stack.data}", err=True)
    click.echo(f"  ingest  {env['AV_ENDPOINT']}   (device for machine {state['machine']!r})", err=True)
    click.echo(f"  viewer  {env['AV_VIEWER_URL']}", err=True)
    click.echo('  tokens and CA are new: load them again with: eval "$(av-admin local env)"', err=True)


if __name__ == "__main__":
    sys.exit(main())
