"""Deterministic demo corpus of Claude Code JSONL logs, laid out as on disk.

``write_demo_corpus(root)`` writes ``<root>/-home-demo-projects-<name>/<id>.jsonl``
files that look like real Claude Code sessions: user prompts, assistant
responses streamed as one line per content block sharing ``message.id`` (usage
repeated on each fragment, output tokens growing to the final total), thinking,
Read/Bash/Edit/Grep tool calls whose results arrive in later user lines, one
session that spawns a Task subagent (``<id>/subagents/agent-<x>.jsonl``, linked
by an ``agent_progress`` line) and one with a compaction summary. Timestamps
fall in the three weeks before a base date: fixed for the library (same seed and
base -> same bytes), the current minute for the command line, so the corpus
``make demo`` pushes is always recent and the dashboard's default range (the last
30 days) shows it.
No secrets: every path, name and command is invented.

``python -m infra.local.demo_corpus DIR`` writes it to DIR. It is demo and test
tooling (``make demo`` pushes it when a machine has no sessions of its own), so it
lives with the local stack, not in av-client's package.
"""

from __future__ import annotations

import argparse
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from infra.local.demo_scenarios import COMPACT_SUMMARY, PROJECTS, SCENARIOS, SUBAGENT, Step

MODELS = ("claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001")
DEFAULT_BASE = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


@dataclass
class DemoStats:
    """What the generator wrote for one session, for tests to compare with the parser."""

    session_id: str
    messages: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    subagent_ids: list[str] = field(default_factory=list)


class _Writer:
    def __init__(
        self,
        rng: random.Random,
        sid: str,
        cwd: str,
        branch: str,
        start: datetime,
        agent_id: str | None = None,
    ) -> None:
        self.rng, self.sid, self.cwd, self.branch = rng, sid, cwd, branch
        self.clock = start
        self.lines: list[dict[str, Any]] = []
        self.parent: str | None = None
        self.agent_id = agent_id
        self.stats = DemoStats(f"agent-{agent_id}" if agent_id else sid)
        self.context = rng.randint(9000, 16000)

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _ts(self, seconds: float) -> str:
        self.clock += timedelta(seconds=seconds)
        return self.clock.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.clock.microsecond // 1000:03d}Z"

    def _line(self, kind: str, seconds: float, **body: Any) -> dict[str, Any]:
        u = self._uuid()
        line: dict[str, Any] = {
            "parentUuid": self.parent,
            "isSidechain": self.agent_id is not None,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.sid,
            "version": "2.0.31",
            "gitBranch": self.branch,
        }
        if self.agent_id:
            line["agentId"] = self.agent_id
        line.update(type=kind, **body, uuid=u, timestamp=self._ts(seconds))
        self.lines.append(line)
        self.parent = u
        return line

    def user(self, text: str, **extra: Any) -> None:
        self._line("user", self.rng.uniform(20, 240), message={"role": "user", "content": text}, **extra)
        if not extra.get("isMeta"):
            self.stats.messages += 1

    def respond(self, model: str, blocks: list[dict[str, Any]]) -> None:
        """One assistant response streamed as one line per block, same message.id."""
        mid = "msg_01" + "".join(
            self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789") for _ in range(22)
        )
        inp = self.rng.randint(3, 12)
        cache_read = self.context
        cache_create = self.rng.randint(200, 2400)
        self.context += cache_create
        out_total = sum(len(str(b)) // 4 for b in blocks) + self.rng.randint(5, 40)
        for i, block in enumerate(blocks):
            out = out_total if i == len(blocks) - 1 else max(1, out_total * (i + 1) // (len(blocks) + 1))
            usage = {
                "input_tokens": inp,
                "cache_creation_input_tokens": cache_create,
                "cache_read_input_tokens": cache_read,
                "output_tokens": out,
                "service_tier": "standard",
            }
            self._line(
                "assistant",
                self.rng.uniform(0.4, 6),
                requestId=f"req_{mid[6:20]}",
                message={
                    "id": mid,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [block],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": usage,
                },
            )
        self.stats.messages += 1
        self.stats.tool_calls += sum(1 for b in blocks if b["type"] == "tool_use")
        self.stats.input_tokens += inp
        self.stats.output_tokens += out_total
        self.stats.cache_read_tokens += cache_read
        self.stats.cache_creation_tokens += cache_create

    def tool_result(self, tool_id: str, content: str, is_error: bool = False) -> None:
        block = {"tool_use_id": tool_id, "type": "tool_result", "content": content, "is_error": is_error}
        self._line(
            "user",
            self.rng.uniform(0.5, 25),
            message={"role": "user", "content": [block]},
            toolUseResult={"stdout": content[:200], "stderr": "", "interrupted": False},
        )

    def progress(self, tool_id: str, agent_id: str, prompt: str) -> None:
        data = {
            "type": "agent_progress",
            "agentId": agent_id,
            "prompt": prompt,
            "message": {"type": "user", "message": {"role": "user", "content": prompt}},
        }
        self._line(
            "progress",
            self.rng.uniform(1, 4),
            data=data,
            toolUseID=f"agent_msg_{tool_id[-8:]}",
            parentToolUseID=tool_id,
        )

    def dump(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in self.lines))
        return path


def _tool_id(rng: random.Random) -> str:
    return "toolu_01" + "".join(
        rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789") for _ in range(22)
    )


TaskHook = Callable[[_Writer, str, str], None]


def _play(w: _Writer, steps: list[Step], model: str, on_task: TaskHook | None = None) -> None:
    """Write the steps; a Task call runs ``on_task(writer, tool_use_id, prompt)`` in place of a result."""
    for step in steps:
        if step.user is not None:
            w.user(step.user)
            continue
        blocks: list[dict[str, Any]] = []
        if step.thinking:
            blocks.append({"type": "thinking", "thinking": step.thinking, "signature": "EqQBCkYIBxgCKkA="})
        if step.text:
            blocks.append({"type": "text", "text": step.text})
        ids = []
        for name, inp, _result, _err in step.tools:
            tid = _tool_id(w.rng)
            ids.append(tid)
            blocks.append({"type": "tool_use", "id": tid, "name": name, "input": inp})
        w.respond(model, blocks)
        for tid, (name, inp, result, err) in zip(ids, step.tools, strict=True):
            if name == "Task" and on_task is not None:
                on_task(w, tid, inp["prompt"])
                continue
            w.tool_result(tid, result, err)


def _subagent_hook(rng: random.Random, proj_dir: Path, paths: list[Path], stats: list[DemoStats]) -> TaskHook:
    def run(w: _Writer, tid: str, prompt: str) -> None:
        agent_id = "".join(rng.choice("0123456789abcdef") for _ in range(7))
        w.progress(tid, agent_id, prompt)
        sub = _Writer(rng, w.sid, w.cwd, w.branch, w.clock, agent_id=agent_id)
        _play(sub, SUBAGENT(w.cwd.rsplit("/", 1)[-1], prompt), "claude-haiku-4-5-20251001")
        paths.append(sub.dump(proj_dir / w.sid / "subagents" / f"agent-{agent_id}.jsonl"))
        stats.append(sub.stats)
        w.stats.subagent_ids.append(f"agent-{agent_id}")
        w.clock = max(w.clock, sub.clock)
        w.tool_result(
            tid,
            "Found it: the retry policy lives in src/http/retry.py (`RetryPolicy`, "
            "max 3 attempts, exponential backoff from 0.5 s). No other call sites.",
        )

    return run


def write_demo_corpus_with_stats(
    root: Path, *, sessions: int = 12, seed: int = 7, base: datetime | None = None
) -> tuple[list[Path], list[DemoStats]]:
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    base = base or DEFAULT_BASE
    paths: list[Path] = []
    stats: list[DemoStats] = []
    for i in range(sessions):
        name, branch = PROJECTS[i % len(PROJECTS)]
        cwd = f"/home/demo/projects/{name}"
        proj_dir = Path(root) / cwd.replace("/", "-")
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        start = base - timedelta(days=rng.uniform(0.5, 21), hours=rng.uniform(0, 8))
        model = MODELS[i % len(MODELS)] if i % 4 else MODELS[0]
        w = _Writer(rng, sid, cwd, branch, start)
        w.lines.append(
            {
                "type": "file-history-snapshot",
                "messageId": str(uuid.UUID(int=rng.getrandbits(128))),
                "snapshot": {"messageId": "", "trackedFileBackups": {}, "timestamp": w._ts(0)},
                "isSnapshotUpdate": False,
            }
        )
        _play(w, SCENARIOS[i % len(SCENARIOS)](name), model, _subagent_hook(rng, proj_dir, paths, stats))
        if i % len(SCENARIOS) == 2:  # this scenario runs long enough to be compacted
            w.user(
                COMPACT_SUMMARY.format(project=name), isCompactSummary=True, isVisibleInTranscriptOnly=True
            )
            _play(
                w,
                [
                    Step(user="continue with the remaining failing test"),
                    Step(
                        text="Picking up from the summary: the last failure is the timezone edge case; "
                        "it is fixed and the suite is green now."
                    ),
                ],
                model,
            )
        paths.append(w.dump(proj_dir / f"{sid}.jsonl"))
        stats.append(w.stats)
    return sorted(paths), stats


def write_demo_corpus(
    root: Path, *, sessions: int = 12, seed: int = 7, base: datetime | None = None
) -> list[Path]:
    """Write the demo corpus under ``root`` (a Claude ``projects`` dir); returns the written files."""
    return write_demo_corpus_with_stats(root, sessions=sessions, seed=seed, base=base)[0]


def _utc_time(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a demo Claude Code corpus (projects layout).")
    ap.add_argument("dir", type=Path)
    ap.add_argument("--sessions", type=int, default=12)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--base",
        type=_utc_time,
        default=None,
        help="ISO date-time the sessions end before (default: now); fixed for reproducible bytes",
    )
    args = ap.parse_args(argv)
    base = args.base or datetime.now(UTC).replace(second=0, microsecond=0)
    paths = write_demo_corpus(args.dir, sessions=args.sessions, seed=args.seed, base=base)
    print(f"wrote {len(paths)} files under {args.dir}")  # noqa: T201 - CLI output
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
