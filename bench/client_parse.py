"""Client parse and redaction throughput over a generated corpus, as ratios measured in one run.

    .venv/bin/python bench/client_parse.py [--sessions 600]

* parse: ``parse_claude_file`` over every file vs bare ``orjson.loads`` per line of
  the same bytes (budget: parse ≥ 40 % of bare decoding), over two generated
  corpora: "sized", whose text follows the size mix of real agent logs
  (../shared/reference/perf-baselines.md: 70 % short, 25 % 1–4 KB, 5 % 10–60 KB
  tool output; real Claude Code logs average 1.6 KB a line), which the budget is
  judged on; and the demo corpus, whose tiny messages make per-line Python work
  dominate (reported for honesty, not judged). The real corpus is measured too
  when ../shared/corpus exists.
* wire: parse + wire form + seal, without and with redaction: the cost of redaction.
* detect-secrets (if installed): its line scanner over the same text the redactor
  sees, for comparison with the compiled regex table (client/redact.py).
* every other agent source (``--agents``, on by default): each source's parse over
  a sized store in its own format (bench/agent_corpus.py) against bare decoding
  of the same data — ``orjson.loads`` per JSONL line or per JSON file, and for
  SQLite stores a ``SELECT`` of every row of every table with its JSON columns
  decoded. Reported, not judged (the 40 % budget is judged on Claude logs, the
  bulk of real data).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from client.redact import Redactor  # noqa: E402
from client.sources.claude import discover_claude_files, parse_claude_file  # noqa: E402
from client.wire import session_to_wire  # noqa: E402
from infra.local.demo_corpus import write_demo_corpus  # noqa: E402

BUDGET = 0.40


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _sized_text(rng: random.Random) -> str:
    roll = rng.random()
    words = "the parser pairs each tool result with its call and keeps usage once per message".split()
    if roll < 0.70:
        return " ".join(rng.choice(words) for _ in range(rng.randint(8, 60)))
    if roll < 0.95:
        return "".join(
            f"    value_{i} = compute({i}, factor={rng.random():.4f})\n" for i in range(rng.randint(20, 80))
        )
    return "".join(f"{rng.getrandbits(64):016x} step {i} ok\n" for i in range(rng.randint(400, 2400)))


def write_sized_corpus(root: Path, *, sessions: int, seed: int) -> None:
    """Claude Code logs whose text sizes follow real logs (see the module docstring)."""
    from tests.client import claude_lines as cl

    rng = random.Random(seed)
    for n in range(sessions):
        sid = f"00000000-0000-4000-8000-{n:012d}"
        lines: list[dict] = []
        for turn in range(20):
            ts = f"2026-03-01T10:{turn:02d}:00.000Z"
            lines.append(cl.user(_sized_text(rng), ts, sid=sid))
            tool_id = f"toolu_{n}_{turn}"
            lines.append(
                cl.assistant(
                    [
                        cl.text_block(_sized_text(rng)),
                        cl.tool_use_block(tool_id, "Bash", {"command": "pytest -q"}),
                    ],
                    ts,
                    sid=sid,
                    mid=f"msg_{n}_{turn}",
                )
            )
            lines.append(cl.tool_result(tool_id, _sized_text(rng), ts, sid=sid))
        cl.write(root / "-home-me-project" / f"{sid}.jsonl", lines)


def texts_of(wires: list[dict]) -> list[str]:
    out = []
    for w in wires:
        for m in w["messages"]:
            out.append(m["content"])
            for c in m.get("tool_calls") or ():
                out += [c.get("input_json") or "", c.get("result_content") or ""]
    return out


def parse_ratio(label: str, root: Path, *, judged: bool) -> None:
    files = discover_claude_files(root)
    blobs = [f.read_bytes() for f in files]
    mb = sum(len(b) for b in blobs) / 1e6
    lines = sum(b.count(b"\n") for b in blobs)

    def bare() -> None:
        for blob in blobs:
            for line in blob.splitlines():
                if line:
                    try:
                        orjson.loads(line)
                    except orjson.JSONDecodeError:
                        pass  # the real corpus has malformed lines on purpose

    def parse() -> None:
        for f in files:
            parse_claude_file(f)

    t_bare, t_parse = best(bare), best(parse)
    verdict = (
        f"budget >= {BUDGET:.0%}: {'PASS' if t_bare / t_parse >= BUDGET else 'FAIL'}"
        if judged
        else "not judged"
    )
    print(
        f"{label:<34} {len(files):5d} files {mb:6.1f} MB ({mb * 1e6 / max(lines, 1):6.0f} B/line): "
        f"parse {mb / t_parse:6.1f} MB/s vs bare {mb / t_bare:6.1f} MB/s = {t_bare / t_parse:4.0%} ({verdict})"
    )


def _bare_sqlite(db: Path) -> None:
    import sqlite3

    con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, (str, bytes)) and value[:1] in ("{", "[", b"{", b"["):
                        try:
                            orjson.loads(value)
                        except orjson.JSONDecodeError:
                            pass
    finally:
        con.close()


def _bare_file(path: Path) -> int:
    """Decode ``path`` (a file or a folder of JSON files) the cheapest way; its size in bytes."""
    if path.is_dir():
        return sum(_bare_file(p) for p in sorted(path.rglob("*.json")))
    data = path.read_bytes()
    if path.suffix == ".jsonl":
        for line in data.splitlines():
            if line:
                orjson.loads(line)
    elif path.suffix == ".json":
        orjson.loads(data)
    elif path.suffix in (".db", ".sqlite", ".sqlite3", ".vscdb"):
        _bare_sqlite(path)
    else:
        data.decode("utf-8", "replace").splitlines()
    return len(data)


def agents_section(sessions: int, turns: int) -> None:
    from bench import agent_corpus
    from client.sources.registry import get_source

    print(f"\nevery other source: {sessions} sessions x {turns} turns each (not judged)")
    for name in [*agent_corpus.PER_SESSION, *agent_corpus.WHOLE_STORE, "kiro-db"]:
        source = get_source("kiro" if name == "kiro-db" else name)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            if name == "kiro-db":
                agent_corpus.DATABASE_OF["kiro"](root, sessions, turns, _texts(7))
            else:
                agent_corpus.write(name, root, sessions=sessions, turns=turns)
            paths = source.discover(root)
            size = sum(_bare_file(p) for p in paths) / 1e6
            t_bare = best(lambda paths=paths: [_bare_file(p) for p in paths])
            t_parse = best(lambda paths=paths, source=source: [source.parse(p) for p in paths])
            parsed = [s for p in paths for s in source.parse(p)[0]]
            print(
                f"  {name:<15} {len(paths):4d} paths {size:7.1f} MB {len(parsed):4d} sessions: "
                f"parse {size / t_parse:7.1f} MB/s vs bare {size / t_bare:7.1f} MB/s = {t_bare / t_parse:4.0%}"
            )


def _texts(seed: int) -> Callable[[], str]:
    rng = random.Random(seed)
    return lambda: _sized_text(rng)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=600)
    ap.add_argument("--agent-sessions", type=int, default=40, help="sessions per other agent source")
    ap.add_argument("--agent-turns", type=int, default=40, help="turns per session for other agent sources")
    ap.add_argument("--no-agents", action="store_true", help="skip the other agent sources")
    args = ap.parse_args()
    if not args.no_agents:
        agents_section(args.agent_sessions, args.agent_turns)
    with tempfile.TemporaryDirectory() as sized:
        write_sized_corpus(Path(sized), sessions=max(20, args.sessions // 10), seed=5)
        parse_ratio("sized corpus (real size mix)", Path(sized), judged=True)
    real = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "claude" / "projects"
    if real.is_dir():
        parse_ratio("real corpus (../shared)", real, judged=False)
    with tempfile.TemporaryDirectory() as tmp:
        write_demo_corpus(Path(tmp), sessions=args.sessions, seed=11)
        files = discover_claude_files(Path(tmp))
        blobs = [f.read_bytes() for f in files]
        mb = sum(len(b) for b in blobs) / 1e6

        def bare() -> None:
            for blob in blobs:
                for line in blob.splitlines():
                    if line:
                        orjson.loads(line)

        def parse() -> None:
            for f in files:
                parse_claude_file(f)

        sessions = [s for f in files for s in parse_claude_file(f)[0]]

        def wire_plain() -> None:
            for s in sessions:
                session_to_wire(s)

        def wire_redacted() -> None:
            r = Redactor()
            for s in sessions:
                session_to_wire(s, r)

        t_bare, t_parse = best(bare), best(parse)
        t_plain, t_red = best(wire_plain), best(wire_redacted)
        wires = [session_to_wire(s) for s in sessions]
        texts = texts_of(wires)
        text_mb = sum(len(t.encode()) for t in texts) / 1e6
        r = Redactor()
        t_regex = best(lambda: [r.text(t) for t in texts])
        print(
            f"corpus: {len(files)} files, {mb:.1f} MB, {len(sessions)} sessions; text fields {text_mb:.1f} MB"
        )
        print(f"bare orjson line decoding: {mb / t_bare:8.1f} MB/s")
        print(
            f"parse_claude_file:         {mb / t_parse:8.1f} MB/s  = {t_bare / t_parse:.0%} of bare "
            f"(budget >= {BUDGET:.0%}: {'PASS' if t_bare / t_parse >= BUDGET else 'FAIL'})"
        )
        print(f"wire+seal, no redaction:   {mb / t_plain:8.1f} MB/s of log")
        print(
            f"wire+seal, redacted:       {mb / t_red:8.1f} MB/s of log  (redaction adds "
            f"{(t_red - t_plain) / t_parse:.0%} of the parse time)"
        )
        print(
            f"regex table on text:       {text_mb / t_regex:8.1f} MB/s of text "
            f"({t_regex / t_parse:.0%} of the parse time)"
        )
        try:
            from detect_secrets.core.scan import scan_line
            from detect_secrets.settings import default_settings
        except ImportError:
            print("detect-secrets: not installed (pip install detect-secrets to compare)")
            return 0
        lines = [ln for t in texts for ln in t.splitlines()]
        with default_settings():
            t_ds = best(lambda: [list(scan_line(ln)) for ln in lines], repeat=1)
        print(
            f"detect-secrets scan_line:  {text_mb / t_ds:8.1f} MB/s of text "
            f"({t_ds / t_regex:.0f}x slower than the regex table; {t_ds / t_parse:.0%} of the parse time; "
            "detection only, no replacement)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
