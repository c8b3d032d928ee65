"""Redaction: speed (MB/s of text) and recall over the planted-secret corpus, in one run.

    .venv/bin/python bench/client_redact.py [--sessions 300] [--compare DIR] [--rounds 3]

``--compare DIR`` also measures ``client`` from another checkout (e.g. ``git archive
main client`` unpacked in DIR): the two run alternately, each in its own process,
``--rounds`` times, and the best of each is printed, so a busy machine slows both alike. The corpus of planted secrets and of look-alikes is
tests/client/secret_corpus.py (always this checkout's).

* speed: ``Redactor.text`` over every text field of two generated corpora — "sized"
  (real agent logs' size mix; see bench/client_parse.py) and the demo corpus — and
  parse + wire form with and without redaction, as a share of the parse time;
* recall: planted secrets found per form (plain, JSON-escaped, base64-wrapped,
  line-split), and false alarms over text that holds no secret.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def load_corpus():
    spec = importlib.util.spec_from_file_location("secret_corpus", ROOT / "tests/client/secret_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["secret_corpus"] = module
    spec.loader.exec_module(module)
    return module


def measure(args: argparse.Namespace) -> dict:
    """Every figure of one run, for the client code in args.code (default: this checkout)."""
    corpus = load_corpus()
    sys.path.insert(0, str(ROOT))
    from bench.client_parse import _sized_text
    from infra.local.demo_corpus import write_demo_corpus

    if args.code:
        sys.path.insert(0, str(args.code.resolve()))
        for name in [m for m in sys.modules if m == "client" or m.startswith("client.")]:
            del sys.modules[name]
    from client.redact import Redactor
    from client.sources.claude import discover_claude_files, parse_claude_file
    from client.wire import session_to_wire

    out: dict = {"code": sys.modules["client"].__file__}
    rng = random.Random(5)
    sized = [_sized_text(rng) for _ in range(args.sessions * 20)]
    with tempfile.TemporaryDirectory() as tmp:
        write_demo_corpus(Path(tmp), sessions=args.sessions, seed=11)
        files = discover_claude_files(Path(tmp))
        log_mb = sum(f.stat().st_size for f in files) / 1e6
        sessions = [s for f in files for s in parse_claude_file(f)[0]]
        redactor = Redactor()
        t_plain = best(lambda: [session_to_wire(s) for s in sessions])
        t_red = best(lambda: [session_to_wire(s, redactor) for s in sessions])
        out["wire plain MB/s of log"] = log_mb / t_plain
        out["wire redacted MB/s of log"] = log_mb / t_red
        demo = []
        for w in (session_to_wire(s) for s in sessions):
            for m in w["messages"]:
                demo.append(m["content"])
                for c in m.get("tool_calls") or ():
                    demo += [c.get("input_json") or "", c.get("result_content") or ""]
    for label, texts in (("sized text", sized), ("demo text", demo)):
        mb = sum(len(t.encode()) for t in texts) / 1e6
        r = Redactor()
        out[f"{label} MB/s"] = mb / best(lambda r=r, texts=texts: [r.text(x) for x in texts])
    r = Redactor()
    for plant in corpus.PLANTS:
        for form, text in corpus.forms(plant).items():
            try:
                ok = not corpus.leaked(plant, form, r.text(text))
            except ValueError:  # the redacted JSON no longer parses
                ok = False
            found, total = out.get(f"recall {form}", (0, 0))
            out[f"recall {form}"] = (found + ok, total + 1)
    out["false alarms"] = (sum(Redactor().text(t) != t for t in corpus.INNOCENT), len(corpus.INNOCENT))
    return out


def show(label: str, figures: dict) -> None:
    print(f"== {label}: {figures['code']}")
    for key, value in figures.items():
        if key != "code":
            print(
                f"  {key:<28} {value:8.1f}"
                if isinstance(value, float)
                else f"  {key:<28} {value[0]}/{value[1]}"
            )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=300)
    ap.add_argument("--code", type=Path, help="import client/ from this directory instead")
    ap.add_argument("--compare", type=Path, help="also measure client/ from this directory, alternately")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.json:
        print(json.dumps(measure(args)))
        return 0
    if not args.compare:
        show("this checkout", measure(args))
        return 0
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    for _ in range(args.rounds):
        for label, code in (("before", args.compare), ("after", ROOT)):
            cmd = [sys.executable, __file__, "--json", "--sessions", str(args.sessions), "--code", str(code)]
            runs[label].append(
                json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            )
    for label, figures in runs.items():
        merged = {
            k: (max(f[k] for f in figures) if isinstance(v, float) else v) for k, v in figures[0].items()
        }
        show(f"{label} (best of {args.rounds})", merged)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
