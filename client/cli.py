"""av-client commands: parse arguments, call one function, print."""

from __future__ import annotations

import json
import sys

import click

from client.config import ConfigError, load_config
from client.push import PushSummary, collect_claude, push
from client.sources.claude import claude_projects_dir
from client.transport import IngestClient, PushError

EXIT_PARTIAL = 1
EXIT_ERROR = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="av-client")
def main() -> None:
    """Push this machine's AI coding-agent sessions to av-cloud."""


@main.command("push")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def push_cmd(as_json: bool) -> None:
    """Parse local Claude Code sessions and push them over HTTPS."""
    try:
        config = load_config()
    except ConfigError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(EXIT_ERROR)
    summary = PushSummary()
    root = claude_projects_dir()
    try:
        with IngestClient(config) as client:
            push(client, collect_claude(root, summary), summary)
    except PushError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    _report(summary, as_json)
    sys.exit(summary.exit_code)


def _report(summary: PushSummary, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({
            "sessions": summary.sessions_seen, "applied": summary.applied, "unchanged": summary.unchanged,
            "failed": [{"session_id": s, "reason": r} for s, r in summary.failed],
            "problems": [{"path": p.path, "line": p.line, "reason": p.reason} for p in summary.problems],
            "messages_sent": summary.messages_sent, "bytes_sent": summary.bytes_sent,
        }))
        return
    click.echo(f"Pushed {summary.sessions_seen} sessions: {summary.applied} applied, "
               f"{summary.unchanged} unchanged, {len(summary.failed)} failed "
               f"({summary.messages_sent} messages, {summary.bytes_sent} bytes)")
    for problem in summary.problems:
        where = f"{problem.path}:{problem.line}" if problem.line else problem.path
        click.echo(f"skipped {where}: {problem.reason}", err=True)
    for sid, reason in summary.failed:
        click.echo(f"failed {sid}: {reason}", err=True)
