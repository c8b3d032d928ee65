"""av-client commands: parse arguments, call one function, print.

Exit codes: 0 success, 1 partial failure (some sessions failed, verify found
differences, doctor found a problem), 2 error (configuration, server
unreachable, interrupted). ``--json`` prints one JSON document on stdout;
progress and warnings go to stderr.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from avprotocol import __version__
from client.config import (
    PUSH_IN_FLIGHT_MAX,
    ConfigError,
    default_machine_name,
    load_config,
    mirror_deletes,
    push_in_flight,
    redact_patterns,
    user_dir,
    write_config,
)
from client.push import PushOptions, PushSummary
from client.redact import RedactionConfigError
from client.sources.registry import agent_names
from client.state import StateError, open_state
from client.transport import PushError
from client.wording import counted

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_ERROR = 2
AGENTS = agent_names()


def _fail(message: str, code: int = EXIT_ERROR) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Expected failures become one line on stderr and exit 2, never a traceback."""
    try:
        yield
    except ConfigError as exc:
        _fail(exc.message)
    except RedactionConfigError as exc:
        _fail(str(exc))
    except PushError as exc:
        _fail(f"{type(exc).__name__}: {exc}")
    except StateError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted; nothing is lost: the next `av-client push` finishes the job")
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            _fail(
                f"the disk is full ({exc.filename or 'writing'}): free some space and run the command again"
            )
        _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else f"{type(exc).__name__}: {exc}")
    except (click.exceptions.Abort, click.exceptions.ClickException):
        raise  # click's own answers (a declined prompt, a usage error) keep their exit codes
    except Exception as exc:  # a bug: one line, not a traceback (AV_DEBUG=1 shows it)
        if os.environ.get("AV_DEBUG"):
            raise
        _fail(f"unexpected {type(exc).__name__}: {exc} (a bug in av-client; AV_DEBUG=1 shows where)")


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """kill (SIGTERM) behaves like Ctrl-C: the state stays consistent and the next push resumes."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="av-client")
def main() -> None:
    """Push this machine's AI coding-agent sessions to av-cloud."""


@main.command("init")
@click.option(
    "--endpoint", prompt="Ingest endpoint (https://…)", help="The ingest URL, e.g. https://ingest.example.com"
)
@click.option(
    "--token",
    envvar="AV_TOKEN",
    prompt="Device token",
    hide_input=True,
    help="The device token from `av-admin device add` (also read from AV_TOKEN; prompted if absent).",
)
@click.option(
    "--machine",
    default=default_machine_name,
    show_default="the host name",
    help="A name for this machine (for your reference; the server names it from the token).",
)
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM file of a private CA that signed the server's certificate.",
)
def init_cmd(endpoint: str, token: str, machine: str, ca_bundle: Path | None) -> None:
    """Write config.json and a 0600 token file in the user directory."""
    with _errors():
        path = write_config(endpoint=endpoint, token=token, machine=machine, ca_bundle=ca_bundle)
    click.echo(
        f"Wrote {path} (token in {user_dir() / 'token'}, mode 600). Next: av-client doctor; av-client push"
    )


def _progress(enabled: bool) -> tuple[Callable[[str, int], None] | None, Callable[[], None]]:
    if not enabled or not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed}"),
        transient=True,
        console=Console(stderr=True),
    )
    files = bar.add_task("files scanned", total=None)
    sent = bar.add_task("sessions sent", total=None)
    bar.start()

    def advance(what: str, n: int) -> None:
        bar.advance(files if what == "scanned" else sent, n)

    return advance, bar.stop


def _push_options(
    full: bool,
    dry_run: bool,
    agent: str | None,
    project: str | None,
    no_redact: bool,
    in_flight: int | None = None,
) -> PushOptions:
    return PushOptions(
        full=full,
        dry_run=dry_run,
        agent=agent,
        project=project,
        redact=not no_redact,
        redact_patterns=() if no_redact else redact_patterns(),
        in_flight=in_flight or push_in_flight(),
        mirror=mirror_deletes(),
    )


@main.command("push")
@click.option(
    "--full", is_flag=True, help="Ignore the local cache: re-read every file and plan every session in full."
)
@click.option("--dry-run", is_flag=True, help="Plan only: show what would be sent; send and record nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--agent", type=click.Choice(AGENTS), help="Only this agent's sessions.")
@click.option("--project", help="Only sessions of this project.")
@click.option("--no-redact", is_flag=True, help="Send secrets as they are (redaction is on by default).")
@click.option(
    "--in-flight",
    type=click.IntRange(1, PUSH_IN_FLIGHT_MAX),
    metavar="N",
    help=f"Push requests on the wire at once, 1-{PUSH_IN_FLIGHT_MAX} (default: AV_PUSH_IN_FLIGHT, "
    "else push_in_flight in config.json, else 3); 1 sends one request at a time.",
)
def push_cmd(
    full: bool,
    dry_run: bool,
    as_json: bool,
    agent: str | None,
    project: str | None,
    no_redact: bool,
    in_flight: int | None,
) -> None:
    """Push new and changed sessions: plan with the server, send only what it lacks."""
    from client.commands.run import run_push

    with _errors(), _sigterm_interrupts():
        options = _push_options(full, dry_run, agent, project, no_redact, in_flight)
        advance, stop = _progress(not as_json)
        try:
            summary = run_push(options, progress=advance)
        finally:
            stop()
    _report(summary, as_json, dry_run=dry_run)
    sys.exit(summary.exit_code)


def _report(summary: PushSummary, as_json: bool, *, dry_run: bool = False) -> None:
    if as_json:
        _print_json(summary.to_json())
        return
    if summary.database_changed:
        click.echo(
            f"The server's database changed (now {summary.database_id}); re-sent what it lacked.", err=True
        )
    if dry_run:
        leaving = (
            f"{summary.would_delete} to delete (mirror_deletes is on)"
            if summary.would_delete
            else f"{summary.would_mark_gone} gone from this machine, to keep marked"
        )
        click.echo(
            f"Dry run: {counted(summary.sessions_seen, 'session')}; the server has {summary.have}, lacks "
            f"{summary.would_send} ({counted(summary.would_send_messages, 'message')}); {leaving}"
        )
    else:
        click.echo(
            f"Pushed {counted(summary.sessions_seen, 'session')}: {summary.applied} sent, "
            f"{summary.have + summary.unchanged} unchanged, "
            f"{len(summary.failed)} failed ({counted(summary.messages_sent, 'message')}, "
            f"{counted(summary.bytes_sent, 'byte')})"
        )
    if summary.gone_marked:
        click.echo(
            f"Kept {counted(summary.gone_marked, 'session')} whose logs disappeared from this machine "
            "(the server marks them as gone; `av-client delete --gone-locally` removes them)"
        )
    if summary.deleted:
        click.echo(
            f"Deleted {counted(summary.deleted, 'session')} whose logs disappeared (mirror_deletes is on)"
        )
    if summary.deleted_on_server:
        click.echo(
            f"Not sent: {counted(summary.deleted_on_server, 'session')} you deleted on the server "
            "(`av-client delete --undo ID` lets a push send one again)"
        )
    if summary.kept_server_copy:
        click.echo(
            f"Not sent: {counted(summary.kept_server_copy, 'agentsview import')} of sessions the server holds "
            "from their own logs (the server's copy is the complete one)"
        )
    for notice in summary.notices:
        click.echo(f"notice: {notice}", err=True)
    if summary.redactions:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.redactions.items()))
        click.echo(f"Redacted {counted(sum(summary.redactions.values()), 'secret')}: {kinds}")
    if summary.repairs:
        click.echo(
            f"Repaired {sum(summary.repairs.values())} characters to U+FFFD in {summary.repaired_files} "
            f"files: {summary.repairs['invalid_utf8']} invalid UTF-8, "
            f"{summary.repairs['lone_surrogates']} lone surrogates (kept, not dropped)"
        )
    for problem in summary.problems:
        where = f"{problem.path}:{problem.line}" if problem.line else problem.path
        click.echo(f"skipped {where}: {problem.reason}", err=True)
    for sid, reason in summary.failed:
        click.echo(f"failed {sid}: {reason}", err=True)


@main.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def status_cmd(as_json: bool) -> None:
    """This machine's view (last push, pending sessions) and the server's (counts, last push)."""
    from client.commands.status import status

    with _errors(), open_state() as state:
        report = status(state, patterns=redact_patterns())
    if as_json:
        _print_json(report)
    else:
        _print_status(report)
    sys.exit(EXIT_ERROR if report.get("error") or report.get("server_error") else EXIT_OK)


def _print_status(report: dict[str, Any]) -> None:
    if report.get("error"):
        click.echo(f"Error: {report['error']}", err=True)
        return
    local = report["local"]
    click.echo(f"Endpoint {local['endpoint']} (database {local['database_id'] or 'not yet seen'})")
    last = local["last_push"]
    if last:
        s = last["summary"]
        click.echo(
            f"Last push {last['finished_at']}: exit {last['exit_code']}, {s.get('applied', 0)} sent, "
            f"{s.get('unchanged', 0)} unchanged, {len(s.get('failed', []))} failed"
        )
    else:
        click.echo("No push yet from this machine")
    agents = ", ".join(f"{a} {n}" for a, n in local["sessions_by_agent"].items()) or "none"
    click.echo(
        f"Local: {local['files']} files, {local['sessions']} sessions ({agents}); "
        f"pending: {local['pending_sessions']} sessions, {local['changed_files']} new or changed files, "
        f"{local['pending_gone']} sessions whose logs disappeared, to report"
    )
    health = local.get("parse_health") or {}
    repaired = sum(n for k, n in health.items() if k.startswith("repaired_"))
    if repaired or health.get("skipped_lines"):
        click.echo(
            f"Parsing: {repaired} characters repaired to U+FFFD in {health['files_repaired']} files "
            f"({health['repaired_invalid_utf8']} invalid UTF-8, {health['repaired_lone_surrogates']} lone "
            f"surrogates); {health['skipped_lines']} lines skipped (not JSON) in "
            f"{health['files_with_skipped_lines']} files"
        )
    server = report.get("server")
    if server:
        click.echo(
            f"Server ({server.get('machine')}): {server.get('sessions')} sessions "
            f"({server.get('gone_locally_sessions', 0)} kept there, gone from this machine), "
            f"{server.get('messages')} messages, {server.get('tool_calls')} tool calls, "
            f"{server.get('deleted_sessions')} deleted; last push {server.get('last_push_at')}"
        )
        failures = server.get("index_failures") or []
        if failures:
            names = ", ".join(f["session_id"] for f in failures[:5]) + (" …" if len(failures) > 5 else "")
            click.echo(
                f"Server could not index {len(failures)} session(s) for search and analytics "
                f"(stored, and still found by scanning): {names}",
                err=True,
            )
        if server.get("legacy_deleted_sessions"):
            click.echo(
                f"  {server['legacy_deleted_sessions']} sessions were deleted by an earlier release when "
                "their logs disappeared; the server cannot bring them back (a push restores any whose "
                "log still exists)"
            )
    else:
        click.echo(f"Server: unreachable: {report.get('server_error')}", err=True)


@main.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option(
    "--no-redact", is_flag=True, help="Compare unredacted fingerprints (for pushes made with --no-redact)."
)
def verify_cmd(as_json: bool, no_redact: bool) -> None:
    """Compare every local session with what the server holds; exit 1 on any difference."""
    from client.commands.run import connected
    from client.commands.verify import verify

    with _errors(), open_state() as state, connected() as client:
        report = verify(
            client,
            state,
            redact=not no_redact,
            patterns=() if no_redact else redact_patterns(),
            mirror=mirror_deletes(),
        )
    if as_json:
        _print_json(report.to_json())
    else:
        click.echo(
            f"{counted(report.local, 'local session')}, {report.server} on the server "
            f"(database {report.database_id}), {report.matching} identical"
        )
        if report.kept_gone_locally:
            click.echo(
                f"kept on the server, gone locally: {counted(len(report.kept_gone_locally), 'session')} "
                "(their logs left this machine; the server keeps them, as it should)"
            )
        if report.deleted_on_server:
            click.echo(
                f"deleted on the server at your request: {counted(len(report.deleted_on_server), 'session')}"
            )
        for sid in report.missing:
            click.echo(f"missing on server: {sid}")
        for d in report.different:
            click.echo(
                f"different: {d['session_id']} (local {d['local_messages']} messages, "
                f"server {d['server_messages']})"
            )
        for sid in report.extra:
            click.echo(f"extra on server: {sid} (gone locally; mirror_deletes is on)")
        if not report.ok:
            click.echo("Run `av-client push` to send what is missing or different.", err=True)
    sys.exit(EXIT_OK if report.ok else EXIT_PARTIAL)


@main.command("watch")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between checks for changed files.")
@click.option(
    "--debounce", default=5.0, show_default=True, help="Seconds of quiet after a change before pushing."
)
@click.option("--floor", default=900.0, show_default=True, help="Push at least this often (seconds).")
@click.option("--agent", type=click.Choice(AGENTS), help="Only this agent's sessions.")
@click.option("--no-redact", is_flag=True, help="Send secrets as they are.")
def watch_cmd(poll: float, debounce: float, floor: float, agent: str | None, no_redact: bool) -> None:
    """Push whenever session files change (and at least every --floor seconds); Ctrl-C pushes once more and stops."""
    from client.commands.run import run_push
    from client.watch import AlreadyWatching, Watcher, single_instance, stop_on_signals

    with _errors():
        load_config()
        options = _push_options(False, False, agent, None, no_redact)

    def push(reason: str) -> None:
        try:
            summary = run_push(PushOptions(**{**options.__dict__}))
        except (PushError, ConfigError, StateError) as exc:
            click.echo(f"{reason} push failed: {type(exc).__name__}: {exc}", err=True)
            return
        busy = summary.applied or summary.gone_marked or summary.deleted or summary.failed
        if busy or reason in ("start", "final"):
            click.echo(
                f"{reason}: {summary.applied} sent, {summary.have + summary.unchanged} unchanged, "
                f"{summary.gone_marked} kept as gone, {summary.deleted} deleted, "
                f"{len(summary.failed)} failed",
                err=True,
            )

    watcher = Watcher(push, poll=poll, debounce=debounce, floor=floor, agent=agent)
    try:
        with single_instance(user_dir() / "watch.lock"), stop_on_signals(watcher):
            click.echo(f"watching (pid {os.getpid()}); Ctrl-C to stop", err=True)
            watcher.run()
    except AlreadyWatching as exc:
        _fail(str(exc))


@main.command("rules")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def rules_cmd(as_json: bool) -> None:
    """List the redaction rules in the order they run: kind, source, keywords, what each finds."""
    from client.redact import Redactor

    with _errors():
        table = Redactor(redact_patterns()).describe()
    if as_json:
        _print_json(table)
        return
    for row in table:
        keywords = ",".join(row["keywords"]) or "(always)"
        click.echo(f"{row['kind']:<40} {row['source']:<9} {keywords[:40]:<40} {row['description']}")


@main.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def doctor_cmd(as_json: bool) -> None:
    """Check configuration, DNS, TLS, the token and clock skew; print a fix for each problem."""
    from client.doctor import run_checks

    checks = run_checks()
    if as_json:
        _print_json([c.to_json() for c in checks])
    else:
        marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}
        for c in checks:
            click.echo(f"[{marks[c.level]}] {c.name}: {c.detail}")
            if c.fix and c.level in ("warn", "fail"):
                click.echo(f"       fix: {c.fix}")
    sys.exit(EXIT_PARTIAL if any(c.level == "fail" for c in checks) else EXIT_OK)


def _add_commands() -> None:
    from client.cli_delete import delete_cmd  # its own module: cli.py stays small

    main.add_command(delete_cmd)


_add_commands()
