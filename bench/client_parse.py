"""Client parse and redaction throughput over a generated corpus, as ratios measured in one run.

    .venv/bin/python bench/client_parse.py [--sessions 600]

* parse: ``parse_claude_file`` over every file vs bare ``orjson.loads`` per line of
  the same bytes (budget: parse ≥ 40 % of bare decoding).
* wire: parse + wire form + seal, without and with redaction: the cost of redaction.
* detect-secrets (if installed): its line scanner over the same text the redactor
  sees, for comparison with the compiled regex table (client/redact.py).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import orjson

from client.demo_corpus import write_demo_corpus
from client.redact import Redactor
from client.sources.claude import discover_claude_files, parse_claude_file
from client.wire import session_to_wire

BUDGET = 0.40


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def texts_of(wires: list[dict]) -> list[str]:
    out = []
    for w in wires:
        for m in w["messages"]:
            out.append(m["content"])
            for c in m.get("tool_calls") or ():
                out += [c.get("input_json") or "", c.get("result_content") or ""]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=600)
    args = ap.parse_args()
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
        print(f"corpus: {len(files)} files, {mb:.1f} MB, {len(sessions)} sessions; text fields {text_mb:.1f} MB")
        print(f"bare orjson line decoding: {mb / t_bare:8.1f} MB/s")
        print(f"parse_claude_file:         {mb / t_parse:8.1f} MB/s  = {t_bare / t_parse:.0%} of bare "
              f"(budget >= {BUDGET:.0%}: {'PASS' if t_bare / t_parse >= BUDGET else 'FAIL'})")
        print(f"wire+seal, no redaction:   {mb / t_plain:8.1f} MB/s of log")
        print(f"wire+seal, redacted:       {mb / t_red:8.1f} MB/s of log  (redaction adds "
              f"{(t_red - t_plain) / t_parse:.0%} of the parse time)")
        print(f"regex table on text:       {text_mb / t_regex:8.1f} MB/s of text "
              f"({t_regex / t_parse:.0%} of the parse time)")
        try:
            from detect_secrets.core.scan import scan_line
            from detect_secrets.settings import default_settings
        except ImportError:
            print("detect-secrets: not installed (pip install detect-secrets to compare)")
            return 0
        lines = [ln for t in texts for ln in t.splitlines()]
        with default_settings():
            t_ds = best(lambda: [list(scan_line(ln)) for ln in lines], repeat=1)
        print(f"detect-secrets scan_line:  {text_mb / t_ds:8.1f} MB/s of text "
              f"({t_ds / t_regex:.0f}x slower than the regex table; {t_ds / t_parse:.0%} of the parse time; "
              "detection only, no replacement)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
