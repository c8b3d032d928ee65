"""Cold start of the Lambda functions, measured on the `sam build` output.

    .venv/bin/python bench/coldstart.py [--build-dir DIR] [--repeat 15] [--json]

What Lambda does at a cold start, minus what only AWS can do (fetching the code, starting the
microVM and the runtime): a fresh CPython 3.11 (``-S``: no site-packages) imports the handler
module with Lambda's search path (the function's code, then the layer under /opt/python, then
the runtime's own boto3, here a copy of the dev venv's), which builds the app. Nothing connects
to the database before the first request, so "handler ready" is that import. Two paths:

* **env DSN**: ``AV_DATABASE_URL`` (and the viewer's cookie key) in the environment;
* **secrets**: the DSN (and the cookie key) in Secrets Manager, as the stack deploys them:
  boto3's import, its client, and the calls, against moto's server on localhost (so without
  the TLS handshake and the network hop to Secrets Manager that AWS adds). Neither function
  reads a secret at its import any more: the first request that needs one does.

What the import no longer does, the first request pays, so each run then times the **first
request** (wall clock and CPU) in the same interpreter: the ingest's ``GET /v1/health`` (it
reads the DSN and plans the connection: psycopg, and the secret with boto3 on that path); the
viewer's ``GET /api/v1/sessions`` with a cookie (its route group, psycopg, the DSN, a connection
refused at once: no database runs here, so the database's own round trips are not in it) and
then the cookie key's first read, which that request makes when the database answers. The page
(``GET /``) needs none of it. "Handler ready" plus "first request" is what a container's first
API answer costs, whatever moved between the two.

Each (function, path) is run ``--repeat`` times, interleaved, and the median is reported with
the quartiles, beside the time of a bare interpreter start, the same machine's floor, and the
CPU time the import took (``time.process_time``): on a shared machine a busy neighbour stretches
the wall clock far more than the CPU time, so the CPU time is what to compare across runs. One
``-X importtime`` run per function says where the time goes, by top-level package. The sizes
are what Lambda unpacks for a function: its own artifact plus the layer.

Budgets (docs/design): handler ready <= 300 ms without the secret fetch; a function with its
layers <= 25 MB unzipped. Timings on a shared machine vary with its load, which is printed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SAM = REPO / ".venv-sam" / "bin" / "sam"
FUNCTIONS = {"IngestFunction": "ingest_fn.handler", "ViewerFunction": "viewer_fn.handler"}
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
BUDGET_READY_MS = 300
BUDGET_PACKAGE_MB = 25.0
MB = 1024 * 1024
SESSION_KEY = "k" * 48
# Nothing listens there (discard): a connection is refused at once, whoever runs a database here.
NO_DATABASE_PORT = 9

PROBE = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
import {module} as m
ready, cpu = time.perf_counter() - t0, time.process_time() - c0
assert callable(m.handler)

def event(path, cookies=()):
    http = {{"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "bench"}}
    return {{
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "cookies": list(cookies), "headers": {{"host": "api.example.com", "x-forwarded-proto": "https"}},
        "requestContext": {{"http": http, "requestId": "bench", "stage": "$default", "routeKey": "$default"}},
        "body": None, "isBase64Encoded": False,
    }}

t1, c1 = time.perf_counter(), time.process_time()
{first_request}
first, first_cpu = time.perf_counter() - t1, time.process_time() - c1
print(json.dumps({{"ready_s": ready, "cpu_s": cpu, "first_s": first, "first_cpu_s": first_cpu}}))
"""
# The first request after the import (module docstring), with the status it must get here.
FIRST_REQUEST = {
    "IngestFunction": """
answer = m.handler(event("/v1/health"), None)
assert answer["statusCode"] == 200, answer
""",
    "ViewerFunction": """
answer = m.handler(event("/api/v1/sessions", ["av_session=x"]), None)
assert answer["statusCode"] == 503, answer  # no database here (refused at once)
m.app.state.keys.signer()
""",
}


def sam_build(build_dir: Path) -> None:
    """`sam build` into ``build_dir`` (the template's own Makefile; no container)."""
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "SAM_PYTHON": sys.executable}
    subprocess.run(
        [
            str(SAM),
            "build",
            "--template-file",
            str(REPO / "template.yaml"),
            "--build-dir",
            str(build_dir),
            "--parallel",
        ],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def zipped_size(*paths: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root in paths:
            for p in sorted(root.rglob("*")):
                if p.is_file():
                    archive.write(p, f"{root.name}/{p.relative_to(root)}")
    return buffer.tell()


def runtime_dir(into: Path) -> Path:
    """What the python3.11 runtime puts after the layer on sys.path: boto3 and its dependencies."""
    import site

    source = Path(site.getsitepackages()[0])
    for name in RUNTIME_PACKAGES:
        for candidate in (source / name, source / f"{name}.py"):
            if candidate.is_dir():
                shutil.copytree(candidate, into / name, ignore=shutil.ignore_patterns("__pycache__"))
            elif candidate.is_file():
                shutil.copy(candidate, into / candidate.name)
    # The runtime's copies are compiled; so are these, once, before anything is timed.
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", str(into)], check=True)
    return into


@contextmanager
def secrets_server() -> Any:
    """moto's Secrets Manager on localhost, holding a DSN and the viewer's cookie key."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "secretsmanager",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    arns = {
        "dsn": client.create_secret(
            Name="av/dsn",
            SecretString=json.dumps(
                {
                    "username": "av_ingest",
                    "password": "pw",
                    "host": "127.0.0.1",
                    "port": NO_DATABASE_PORT,
                    "dbname": "av",
                }
            ),
        )["ARN"],
        "key": client.create_secret(Name="av/key", SecretString=SESSION_KEY)["ARN"],
    }
    try:
        yield endpoint, arns
    finally:
        server.stop()


def probe_env(
    build: Path, function: str, runtime: Path, secrets: tuple[str, dict[str, str]] | None
) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        # Lambda's order: the function code (/var/task), the layer (/opt/python), the runtime.
        "PYTHONPATH": os.pathsep.join(
            [str(build / function), str(build / "CoreLayer" / "python"), str(runtime)]
        ),
        "PYTHONDONTWRITEBYTECODE": "1",  # Lambda's code directories are read-only
        "AV_ENVIRONMENT": "production",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "LAMBDA_TASK_ROOT": str(build / function),
    }
    if secrets is None:
        env["AV_DATABASE_URL"] = f"postgresql://av_ingest:pw@127.0.0.1:{NO_DATABASE_PORT}/av"
        env["AV_SESSION_SECRET"] = SESSION_KEY
    else:
        endpoint, arns = secrets
        env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = endpoint
        env["AV_DATABASE_SECRET_ARN"] = arns["dsn"]
        env["AV_SESSION_SECRET_ARN"] = arns["key"]
    return env


def one_run(
    env: dict[str, str], function: str, *, extra: tuple[str, ...] = ()
) -> tuple[dict[str, float], float, str]:
    """(the probe's figures in s, whole process s, stderr) for one fresh interpreter."""
    module = FUNCTIONS[function]
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-S",
            *extra,
            "-c",
            PROBE.format(module=module, first_request=FIRST_REQUEST[function]),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=env["LAMBDA_TASK_ROOT"],
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{proc.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return figures, wall, proc.stderr


def bare_start() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-S", "-c", "pass"], check=True)
    return time.perf_counter() - started


def where_the_time_goes(env: dict[str, str], function: str) -> dict[str, float]:
    """Self time of every import the handler makes, summed by where the module came from (ms)."""
    _, _, stderr = one_run(env, function, extra=("-X", "importtime"))
    totals: dict[str, float] = defaultdict(float)
    handler_done = False
    for line in stderr.splitlines():
        if handler_done:
            break  # the rest is the first request's
        handler_done = line.rstrip().endswith(f"| {FUNCTIONS[function]}")
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        totals[name.split(".")[0]] += int(self_us) / 1000
    ranked = dict(sorted(totals.items(), key=lambda kv: -kv[1]))
    return {k: round(v, 1) for k, v in ranked.items()}


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=4) if len(values) >= 2 else [values[0]] * 3
    return q[0], statistics.median(values), q[2]


def measure(build: Path, *, repeat: int) -> dict[str, Any]:
    """Every figure, as a dict (printed by main, checked by tests/infra/test_sam.py)."""
    load_before = os.getloadavg()
    results: dict[str, Any] = {"repeat": repeat, "python": sys.version.split()[0]}
    sizes = {}
    for function in (*FUNCTIONS, "IndexerFunction", "AdminFunction"):
        unzipped = tree_size(build / function) + tree_size(build / "CoreLayer")
        zipped = zipped_size(build / function, build / "CoreLayer")
        sizes[function] = {"unzipped_mb": round(unzipped / MB, 2), "zipped_mb": round(zipped / MB, 2)}
    results["sizes_with_layer"] = sizes
    with tempfile.TemporaryDirectory(prefix="av-coldstart-") as scratch, secrets_server() as secrets:
        runtime = runtime_dir(Path(scratch) / "runtime")
        samples: dict[str, list[float]] = defaultdict(list)
        walls: dict[str, list[float]] = defaultdict(list)
        cpus: dict[str, list[float]] = defaultdict(list)
        firsts: dict[str, list[float]] = defaultdict(list)
        first_cpus: dict[str, list[float]] = defaultdict(list)
        bare = []
        for _ in range(repeat):  # interleaved, so a busy minute hits every case alike
            bare.append(bare_start())
            for function in FUNCTIONS:
                for path, secret in (("env DSN", None), ("secrets", secrets)):
                    figures, wall, _ = one_run(probe_env(build, function, runtime, secret), function)
                    case = f"{function} / {path}"
                    samples[case].append(figures["ready_s"])
                    cpus[case].append(figures["cpu_s"])
                    walls[case].append(wall)
                    firsts[case].append(figures["first_s"])
                    first_cpus[case].append(figures["first_cpu_s"])
        results["bare_interpreter_ms"] = round(statistics.median(bare) * 1000, 1)
        results["ready_ms"] = {
            case: {
                "q1": round(q1 * 1000, 1),
                "median": round(med * 1000, 1),
                "q3": round(q3 * 1000, 1),
                "process_median": round(statistics.median(walls[case]) * 1000, 1),
                "cpu_median": round(statistics.median(cpus[case]) * 1000, 1),
                "first_request_median": round(statistics.median(firsts[case]) * 1000, 1),
                "first_request_cpu_median": round(statistics.median(first_cpus[case]) * 1000, 1),
            }
            for case, values in samples.items()
            for q1, med, q3 in [quartiles(values)]
        }
        results["breakdown_ms"] = {
            function: dict(
                list(where_the_time_goes(probe_env(build, function, runtime, None), function).items())[:12]
            )
            for function in FUNCTIONS
        }
    results["loadavg"] = {
        "before": [round(x, 2) for x in load_before],
        "after": [round(x, 2) for x in os.getloadavg()],
    }
    return results


def render(results: dict[str, Any]) -> str:
    lines = [
        f"cold start on the sam build output: {results['repeat']} runs each, interleaved; "
        f"CPython {results['python']}; load {results['loadavg']['before'][0]} -> {results['loadavg']['after'][0]}",
        f"bare interpreter start (the floor): {results['bare_interpreter_ms']} ms",
        "",
        "| function / path | handler ready, median (quartiles) | its CPU time | first request (its CPU) "
        "| whole process | budget |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for case, r in results["ready_ms"].items():
        budget = (
            ""
            if case.endswith("secrets")
            else (f"<= {BUDGET_READY_MS} ms {'ok' if r['median'] <= BUDGET_READY_MS else 'OVER'}")
        )
        lines.append(
            f"| {case} | {r['median']} ms ({r['q1']}-{r['q3']}) | {r['cpu_median']} ms "
            f"| {r['first_request_median']} ms ({r['first_request_cpu_median']} ms) "
            f"| {r['process_median']} ms | {budget} |"
        )
    lines += ["", "| function + layer | unzipped | zipped | budget |", "| --- | ---: | ---: | --- |"]
    for function, s in results["sizes_with_layer"].items():
        ok = "ok" if s["unzipped_mb"] <= BUDGET_PACKAGE_MB else "OVER"
        lines.append(
            f"| {function} | {s['unzipped_mb']} MB | {s['zipped_mb']} MB | <= {BUDGET_PACKAGE_MB} MB {ok} |"
        )
    for function, parts in results["breakdown_ms"].items():
        lines += ["", f"where {function}'s import time goes (self time by top-level module, ms, one run):"]
        lines.append(", ".join(f"{name} {ms}" for name, ms in parts.items()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, help="an existing `sam build` output (default: build one)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="av-sam-build-") as scratch:
        build = args.build_dir or Path(scratch) / "build"
        if args.build_dir is None:
            sam_build(build)
        results = measure(build, repeat=args.repeat)
    print(json.dumps(results, indent=2) if args.json else render(results))


if __name__ == "__main__":
    main()
