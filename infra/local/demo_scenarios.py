"""Scripted conversations for :mod:`infra.local.demo_corpus` (invented code, no secrets).

Each scenario is a function of the project name returning :class:`Step` s: a
user prompt, or one assistant response (optional thinking, text, tool calls
with the result each call gets back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Tool = tuple[str, dict[str, Any], str, bool]  # name, input, result, is_error


@dataclass
class Step:
    user: str | None = None
    thinking: str = ""
    text: str = ""
    tools: list[Tool] = field(default_factory=list)


PROJECTS: list[tuple[str, str]] = [
    ("widget-api", "main"),
    ("billing-service", "feat/invoice-pdf"),
    ("ml-pipeline", "main"),
    ("infra-terraform", "chore/upgrade-provider"),
    ("dotfiles", "master"),
]

RETRY_PY = """import random
import time

class RetryPolicy:
    def __init__(self, attempts: int = 3, base_delay: float = 0.5) -> None:
        self.attempts = attempts
        self.base_delay = base_delay

    def sleep_for(self, attempt: int) -> float:
        return self.base_delay * (2 ** attempt) + random.uniform(0, 0.1)
"""

TEST_FAIL = """============================= test session starts ==============================
collected 48 items

tests/test_invoices.py ........F.....                                    [ 29%]
tests/test_totals.py ..................................                  [100%]

=================================== FAILURES ===================================
___________________________ test_invoice_due_date ____________________________
    def test_invoice_due_date():
        inv = Invoice(issued=date(2026, 1, 31), terms_days=30)
>       assert inv.due == date(2026, 3, 2)
E       AssertionError: assert datetime.date(2026, 3, 3) == datetime.date(2026, 3, 2)
========================= 1 failed, 47 passed in 1.84s =========================
"""

INVOICE_PY = """from dataclasses import dataclass
from datetime import date, timedelta


@dataclass
class Invoice:
    issued: date
    terms_days: int = 30

    @property
    def due(self) -> date:
        return self.issued + timedelta(days=self.terms_days + 1)
"""

COMPACT_SUMMARY = (
    "This session is being continued from a previous conversation that ran out of context. "
    "The summary below covers the earlier portion of the conversation.\n\n"
    "Summary:\n1. Primary request: make the nightly export in {project} use UTC everywhere.\n"
    "2. Files touched: src/export/schedule.py (to_utc helper), tests/test_schedule.py.\n"
    "3. Remaining: one failing test around the DST switch on 2026-03-29."
)


def _retry(project: str) -> list[Step]:
    return [
        Step(
            user=f"In {project}, make the HTTP client retry on 502/503 with backoff. "
            "Find where retries are configured first."
        ),
        Step(
            thinking="There may already be a retry helper; a subagent can search the whole tree "
            "while I keep context small.",
            text="I'll have a subagent look for any existing retry logic first.",
            tools=[
                (
                    "Task",
                    {
                        "description": "Find retry logic",
                        "subagent_type": "Explore",
                        "prompt": "Find every place that retries HTTP requests in src/ and report "
                        "file, class and settings.",
                    },
                    "",
                    False,
                )
            ],
        ),
        Step(
            tools=[
                ("Read", {"file_path": f"/home/demo/projects/{project}/src/http/retry.py"}, RETRY_PY, False)
            ]
        ),
        Step(
            text="Adding the status codes to the policy.",
            tools=[
                (
                    "Edit",
                    {
                        "file_path": f"/home/demo/projects/{project}/src/http/retry.py",
                        "old_string": "    def sleep_for",
                        "new_string": "    RETRY_STATUS = frozenset({502, 503})\n\n    def sleep_for",
                    },
                    "The file has been updated successfully.",
                    False,
                )
            ],
        ),
        Step(
            tools=[
                (
                    "Bash",
                    {"command": "pytest -q tests/http", "description": "Run HTTP tests"},
                    "........\n8 passed in 0.41s",
                    False,
                )
            ]
        ),
        Step(text="Done: `RetryPolicy.RETRY_STATUS` now covers 502 and 503; the HTTP tests pass."),
    ]


def _failing_test(project: str) -> list[Step]:
    root = f"/home/demo/projects/{project}"
    return [
        Step(user="test_invoice_due_date started failing after the month-end change, can you fix it?"),
        Step(
            text="Let me reproduce it.",
            tools=[
                (
                    "Bash",
                    {"command": "pytest -q tests/test_invoices.py", "description": "Run invoice tests"},
                    TEST_FAIL,
                    True,
                )
            ],
        ),
        Step(
            thinking="Off by one day: the due date adds terms_days + 1.",
            tools=[("Read", {"file_path": f"{root}/src/billing/invoice.py"}, INVOICE_PY, False)],
        ),
        Step(
            text="`due` adds one day too many.",
            tools=[
                (
                    "Edit",
                    {
                        "file_path": f"{root}/src/billing/invoice.py",
                        "old_string": "self.terms_days + 1",
                        "new_string": "self.terms_days",
                    },
                    "The file has been updated successfully.",
                    False,
                )
            ],
        ),
        Step(tools=[("Bash", {"command": "pytest -q"}, "48 passed in 1.77s", False)]),
        Step(text="Fixed: `Invoice.due` was adding an extra day. All 48 tests pass."),
        Step(user="thanks, commit it with a short message"),
        Step(
            tools=[
                (
                    "Bash",
                    {"command": "git commit -am 'Fix invoice due date off-by-one'"},
                    "[feat/invoice-pdf 3f2a9c1] Fix invoice due date off-by-one\n 1 file changed, "
                    "1 insertion(+), 1 deletion(-)",
                    False,
                )
            ]
        ),
        Step(text="Committed as 3f2a9c1."),
    ]


def _timezone(project: str) -> list[Step]:
    root = f"/home/demo/projects/{project}"
    return [
        Step(user="The nightly export runs at the wrong hour since the DST change. Make it use UTC."),
        Step(
            tools=[
                (
                    "Grep",
                    {"pattern": "datetime.now\\(", "path": f"{root}/src", "output_mode": "content"},
                    f"{root}/src/export/schedule.py:14:    now = datetime.now()\n"
                    f"{root}/src/export/report.py:52:    stamp = datetime.now().isoformat()",
                    False,
                )
            ]
        ),
        Step(
            thinking="Two naive datetimes; both should be timezone-aware.",
            tools=[
                (
                    "Read",
                    {"file_path": f"{root}/src/export/schedule.py", "limit": 40},
                    "from datetime import datetime, time\n\nRUN_AT = time(2, 0)\n\n\ndef next_run():\n"
                    "    now = datetime.now()\n    return now.replace(hour=RUN_AT.hour, minute=0)\n",
                    False,
                )
            ],
        ),
        Step(
            tools=[
                (
                    "Edit",
                    {
                        "file_path": f"{root}/src/export/schedule.py",
                        "old_string": "datetime.now()",
                        "new_string": "datetime.now(UTC)",
                    },
                    "The file has been updated successfully.",
                    False,
                )
            ]
        ),
        Step(text="Both call sites now use `datetime.now(UTC)`; running the schedule tests next."),
    ]


def _cli_flag(project: str) -> list[Step]:
    root = f"/home/demo/projects/{project}"
    return [
        Step(user="add a --dry-run flag to the sync command"),
        Step(tools=[("Glob", {"pattern": "**/cli*.py", "path": root}, f"{root}/src/cli.py", False)]),
        Step(
            tools=[
                (
                    "Read",
                    {"file_path": f"{root}/src/cli.py"},
                    "import click\n\n@click.command()\n@click.argument('target')\ndef sync(target):\n"
                    "    plan = build_plan(target)\n    apply(plan)\n",
                    False,
                )
            ]
        ),
        Step(
            text="Adding the option and skipping `apply` when it is set.",
            tools=[
                (
                    "Edit",
                    {
                        "file_path": f"{root}/src/cli.py",
                        "old_string": "def sync(target):",
                        "new_string": "@click.option('--dry-run', is_flag=True)\ndef sync(target, dry_run):",
                    },
                    "The file has been updated successfully.",
                    False,
                )
            ],
        ),
        Step(
            tools=[
                (
                    "Bash",
                    {"command": "python -m src.cli sync staging --dry-run"},
                    "Plan: 3 changes (dry run, nothing applied)",
                    False,
                )
            ]
        ),
        Step(text="`sync --dry-run` prints the plan and applies nothing."),
    ]


def _question(project: str) -> list[Step]:
    return [
        Step(
            user=f"What's the difference between `git rebase --onto` and a plain rebase? "
            f"I want to move my {project} branch off an abandoned feature branch."
        ),
        Step(
            thinking="Explain with the three-argument form and a concrete example.",
            text="`git rebase --onto main feature-old my-branch` replays only the commits of `my-branch` "
            "that are not in `feature-old` onto `main`. A plain `git rebase main` would also carry "
            "the abandoned branch's commits along.",
        ),
        Step(user="perfect, that's what I needed"),
        Step(text="Glad it helps. Run `git log --oneline main..my-branch` afterwards to check the result."),
    ]


SCENARIOS: list[Callable[[str], list[Step]]] = [_retry, _failing_test, _timezone, _cli_flag, _question]


def SUBAGENT(project: str, prompt: str) -> list[Step]:  # noqa: N802 - reads like the other constants
    root = f"/home/demo/projects/{project}"
    return [
        Step(user=prompt),
        Step(
            text="Searching for retry logic.",
            tools=[
                (
                    "Grep",
                    {"pattern": "retry|backoff", "path": f"{root}/src", "-i": True},
                    f"{root}/src/http/retry.py\n{root}/src/http/client.py",
                    False,
                )
            ],
        ),
        Step(
            tools=[
                (
                    "Read",
                    {"file_path": f"{root}/src/http/client.py"},
                    "from .retry import RetryPolicy\n\nPOLICY = RetryPolicy()\n",
                    False,
                )
            ]
        ),
        Step(
            text="Retry logic lives only in src/http/retry.py (RetryPolicy: 3 attempts, 0.5 s base delay); "
            "src/http/client.py instantiates it once."
        ),
    ]
