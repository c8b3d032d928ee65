"""The SAM template validates, builds without Docker, and the artifacts are what Lambda needs.

Needs aws-sam-cli in ``.venv-sam`` (``make test`` creates it). Without it these tests FAIL
(they do not skip): a deploy that was never built is not a passing deploy.

What is checked:
* ``sam validate --lint`` is clean;
* ``sam build`` (BuildMethod makefile, infra/sam/Makefile) succeeds into a temp dir;
* the layer holds ``python/avcore``, ``python/avprotocol`` + exactly the pinned wheels, the functions hold only
  their own package, nothing from ``client/`` or ``infra/`` ships, sizes are within bounds;
* the handlers import from the BUILT artifacts alone (fresh interpreter, no site-packages),
  and the import time is measured (sanity bound 1.5 s; the architecture budget is 300 ms);
* the built handlers answer requests and generate the OpenAPI documents in docs/ (what the
  build strips from third-party code changes nothing they do).
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import statistics
import string
import subprocess
import sys
import time
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = pytest.mark.sam

REPO = Path(__file__).resolve().parents[2]
SAM = REPO / ".venv-sam" / "bin" / "sam"
TEMPLATE = REPO / "template.yaml"
REQUIREMENTS = REPO / "avcore" / "requirements.txt"  # the layer's
# What only one function uses ships in that function's artifact (infra/sam/Makefile).
FUNCTION_REQUIREMENTS = {
    "IngestFunction": REPO / "ingest_fn" / "requirements.txt",
    "IndexerFunction": REPO / "ingest_fn" / "requirements.txt",
    "ViewerFunction": REPO / "viewer_fn" / "requirements.txt",
}
# Lambda's python3.11 on x86_64, for the markers of a distribution's own requirements.
LAMBDA_MARKERS = {"sys_platform": "linux", "platform_system": "Linux", "python_version": "3.11",
                  "python_full_version": "3.11.0", "implementation_name": "cpython", "os_name": "posix",
                  "platform_machine": "x86_64", "platform_python_implementation": "CPython"}  # fmt: skip

INSTALL_HINT = (
    f"aws-sam-cli is not installed at {SAM}. Run `make test` (it creates .venv-sam), or by hand: "
    "`python3.11 -m venv .venv-sam && .venv-sam/bin/pip install aws-sam-cli` "
    "(keep it out of .venv: it pins older boto3/click/pydantic)."
)

MB = 1024 * 1024
LAYER_MAX_BYTES = 50 * MB  # unzipped; Lambda's hard limit is 250 MB for function + layers
FUNCTION_MAX_BYTES = 5 * MB  # a function artifact is its own package and what only it uses
PACKAGE_BUDGET_BYTES = 25 * MB  # architecture budget: a function with its layer, unzipped
IMPORT_BUDGET_S = 0.300  # docs: architecture budget for the handler import
IMPORT_RUNS = 3

# The Lambda runtime ships these; the layer must not.
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath"}


def report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n[sam] {text}")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements(path: Path = REQUIREMENTS) -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)(\[[^\]]*\])?==([A-Za-z0-9.+!-]+)", line)
        assert match, f"{path}: not pinned with ==: {raw!r}"
        pins[canonical(match.group(1))] = match.group(3)
    return pins


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def zipped_size(path: Path) -> int:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(path.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(path))
    return buf.tell()


def python311() -> str:
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    found = shutil.which("python3.11")
    assert found, "no python3.11 on PATH (the Lambda runtime is python3.11; .pyc files are version specific)"
    return found


def sam_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AV_")}
    env.update(
        SAM_CLI_TELEMETRY="0",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        # The Makefile byte-compiles with this interpreter and runs pip with it.
        SAM_PYTHON=python311(),
    )
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    return env


def run_sam(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SAM), *args], cwd=REPO, env=sam_env(), capture_output=True, text=True, timeout=timeout
    )


def require_sam() -> Path:
    if not SAM.exists():
        pytest.fail(INSTALL_HINT, pytrace=False)
    return SAM


@pytest.fixture(scope="module")
def sam() -> Path:
    return require_sam()


def test_missing_sam_fails_with_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys.modules[__name__], "SAM", tmp_path / "no-sam")
    with pytest.raises(pytest.fail.Exception, match="make test"):
        require_sam()


@pytest.fixture(scope="module")
def build_dir(sam: Path, tmp_path_factory: pytest.TempPathFactory, sam_cache_dir: Path) -> Path:
    base = tmp_path_factory.mktemp("sam")
    out = base / "build"
    started = time.perf_counter()
    proc = run_sam(
        "build",
        "--template-file", str(TEMPLATE),
        "--build-dir", str(out),
        "--cache-dir", str(sam_cache_dir),
        "--cached",
        "--parallel",
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        pytest.fail(f"sam build failed (rc={proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    (base / "build-seconds").write_text(f"{elapsed:.1f}")
    return out


def test_validate_lint(sam: Path) -> None:
    proc = run_sam("validate", "--lint", "--template-file", str(TEMPLATE), timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "is a valid SAM Template" in output, output
    # cfn-lint warnings (W####) and errors (E####) both count as failures.
    assert not re.search(r"\b[WE]\d{4}\b", output), output


def shipped_distributions(root: Path) -> dict[str, str]:
    """The distributions installed in ``root`` (a layer's python/ or a function artifact): name -> version."""
    shipped = {}
    for info in root.glob("*.dist-info"):
        meta = (info / "METADATA").read_text(errors="replace")
        name = re.search(r"^Name: (.+)$", meta, re.M).group(1).strip()
        version = re.search(r"^Version: (.+)$", meta, re.M).group(1).strip()
        shipped[canonical(name)] = version
    return shipped


def test_requirements_are_pinned_and_match_dev_venv() -> None:
    pins = pinned_requirements()
    for path in set(FUNCTION_REQUIREMENTS.values()):
        own = pinned_requirements(path)
        assert own, f"{path} pins nothing"
        assert not own.keys() & pins.keys(), (
            f"{path} pins what the layer already ships: {own.keys() & pins.keys()}"
        )
        assert not RUNTIME_PROVIDED & own.keys()
        pins = pins | own
    for needed in (
        "fastapi",
        "mangum",
        "psycopg",
        "psycopg-binary",
        "pydantic",
        "orjson",
    ):
        assert needed in pins, f"{needed} missing from {REQUIREMENTS}"
    assert not RUNTIME_PROVIDED & pins.keys(), "boto3 & co. come with the Lambda runtime; do not ship them"
    mismatched = {}
    for name, version in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            mismatched[name] = (version, installed)
    assert not mismatched, f"avcore/requirements.txt vs this venv (pinned, installed): {mismatched}"


def test_build(build_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (build_dir / "template.yaml").is_file()
    seconds = (build_dir.parent / "build-seconds").read_text()
    report(capsys, f"sam build took {seconds} s")
    assert {p.name for p in build_dir.iterdir() if p.is_dir()} == {
        "CoreLayer",
        "IngestFunction",
        "IndexerFunction",
        "ViewerFunction",
        "AdminFunction",
    }


def test_the_admin_function_ships_the_migrations_and_no_local_tooling(build_dir: Path) -> None:
    from avcore.schema import SCHEMA_VERSION

    root = build_dir / "AdminFunction"
    assert {p.name for p in root.iterdir()} == {"infra"}
    shipped = {p.name for p in (root / "infra").iterdir() if p.suffix == ".py"}
    assert shipped == {
        "__init__.py",
        "admin_db.py",
        "admin_lambda.py",
        "credentials.py",
        "migrate.py",
        "migrate_online.py",
        "roles.py",
    }
    migrations = sorted(p.name for p in (root / "infra" / "migrations").glob("*.sql"))
    assert len(migrations) == SCHEMA_VERSION and migrations[-1].startswith(f"{SCHEMA_VERSION:04d}_")


def test_layer_shape(build_dir: Path) -> None:
    layer = build_dir / "CoreLayer"
    top = {p.name for p in layer.iterdir()}
    assert top <= {"python", "certs"}, f"unexpected entries at the layer root: {top}"
    py = layer / "python"
    for pkg in ("avcore", "avprotocol", "fastapi", "mangum", "psycopg", "psycopg_binary", "pydantic", "pydantic_core",
                "orjson", "starlette"):  # fmt: skip
        assert (py / pkg / "__init__.py").is_file() or (py / pkg).is_dir(), f"layer lacks python/{pkg}"
    assert (py / "avcore" / "__init__.py").is_file()
    assert (py / "avprotocol" / "session.py").is_file()
    assert not (py / "avcore" / "requirements.txt").exists()
    assert not (py / "bin").exists(), "console scripts (build-machine shebangs) must not ship"
    # exactly the pinned distributions, at the pinned versions
    pins = pinned_requirements()
    shipped = shipped_distributions(py)
    assert shipped == pins, f"layer distributions differ from avcore/requirements.txt: {shipped} vs {pins}"
    assert not {canonical(n) for n in RUNTIME_PROVIDED} & shipped.keys()
    # compiled native code is for Lambda (manylinux x86_64, CPython 3.11)
    for so in py.rglob("*.so"):
        if "cpython" in so.name:
            assert "cpython-311-x86_64-linux-gnu" in so.name, so


def test_functions_contain_only_their_package(build_dir: Path) -> None:
    for fn, pkg in (
        ("IngestFunction", "ingest_fn"),
        ("IndexerFunction", "ingest_fn"),
        ("ViewerFunction", "viewer_fn"),
    ):
        root = build_dir / fn
        # besides the package: exactly the distributions pinned for this function, and their files
        assert shipped_distributions(root) == pinned_requirements(FUNCTION_REQUIREMENTS[fn]), fn
        theirs = {pkg}
        for record in root.glob("*.dist-info/RECORD"):
            theirs |= {line.split("/", 1)[0].split(",", 1)[0] for line in record.read_text().splitlines()}
        assert {p.name for p in root.iterdir()} <= theirs, f"{fn} artifact root: {sorted(os.listdir(root))}"
        assert (root / pkg / "__init__.py").is_file()
        assert (root / pkg / "handler.py").is_file(), f"{pkg}/handler.py is not in the {fn} artifact"
    site = build_dir / "ViewerFunction" / "viewer_fn" / "site"
    assert (site / "index.html").is_file(), "viewer_fn/site/index.html is not in the ViewerFunction artifact"
    assert list((site / "static").glob("index-*.js")), (
        "the web viewer's scripts are not in the ViewerFunction artifact"
    )
    assert list((site / "static").glob("*.br")), (
        "the precompressed copies are not in the ViewerFunction artifact"
    )


def test_function_dependencies_are_all_shipped(build_dir: Path) -> None:
    """A function's own distributions are installed --no-deps: what they require must be in the
    function or the layer, at a version they accept."""
    from packaging.requirements import Requirement

    layer = shipped_distributions(build_dir / "CoreLayer" / "python")
    for fn in FUNCTION_REQUIREMENTS:
        root = build_dir / fn
        available = layer | shipped_distributions(root)
        for info in root.glob("*.dist-info"):
            for line in re.findall(r"^Requires-Dist: (.+)$", (info / "METADATA").read_text(), re.M):
                need = Requirement(line)
                if need.marker is not None and not need.marker.evaluate(LAMBDA_MARKERS | {"extra": ""}):
                    continue
                name = canonical(need.name)
                assert name in available, (
                    f"{fn}: {info.name} needs {line}, shipped by neither it nor the layer"
                )
                assert need.specifier.contains(available[name], prereleases=True), (fn, line, available[name])


def test_nothing_else_ships(build_dir: Path) -> None:
    artifacts = [
        build_dir / "CoreLayer" / "python",
        build_dir / "IngestFunction",
        build_dir / "ViewerFunction",
    ]
    for art in artifacts:
        names = {p.name for p in art.iterdir()}
        assert not {"client", "infra", "tests", "bench", "docs", ".venv", ".venv-sam"} & names, (art, names)
    for fn in ("IngestFunction", "ViewerFunction"):
        for pkg in ("avcore", "avprotocol"):
            assert not list((build_dir / fn).rglob(pkg)), f"{pkg} must ship once, in the layer, not in {fn}"


def test_bytecode_is_precompiled_for_zip_deploys(build_dir: Path) -> None:
    """SAM zips every file with a 1980 timestamp, so only hash-based .pyc files survive deployment.

    Our packages keep their sources beside unchecked-hash .pyc files; third-party packages ship
    as sourceless .pyc files in their modules' places (the Makefile says why)."""
    ours = [
        build_dir / "IngestFunction",
        build_dir / "ViewerFunction",
        build_dir / "AdminFunction",
        build_dir / "CoreLayer" / "python" / "avcore",
        build_dir / "CoreLayer" / "python" / "avprotocol",
    ]
    for art in ours:
        sources = [p for p in art.rglob("*.py") if "__pycache__" not in p.parts]
        assert sources, art
        missing = [
            p for p in sources if not (p.parent / "__pycache__" / f"{p.stem}.cpython-311.pyc").is_file()
        ]
        assert not missing, f"{len(missing)} modules without .pyc in {art.name}, e.g. {missing[:3]}"
        pyc = next(art.rglob("__pycache__/*.pyc"))
        flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{pyc.name}: expected an unchecked-hash .pyc (flags=1), got flags={flags}"
    layer = build_dir / "CoreLayer" / "python"
    third_party_sources = [
        p for p in layer.rglob("*.py") if not {"avcore", "avprotocol"} & set(p.relative_to(layer).parts)
    ]
    assert not third_party_sources, f"third-party sources shipped, e.g. {third_party_sources[:3]}"
    for module in (
        "fastapi/__init__.pyc",
        "psycopg/__init__.pyc",
        "typing_extensions.pyc",
        "mangum/adapter.pyc",
    ):
        assert (layer / module).is_file(), f"no sourceless {module} in the layer"
    assert not [p for p in layer.rglob("__pycache__") if not {"avcore", "avprotocol"} & set(p.parts)]
    for fn, pkg in (("IngestFunction", "ingest_fn"), ("ViewerFunction", "viewer_fn")):
        root = build_dir / fn
        theirs = [p for p in root.rglob("*.py") if p.relative_to(root).parts[0] != pkg]
        assert not theirs, f"third-party sources shipped in {fn}, e.g. {theirs[:3]}"
    assert (build_dir / "IngestFunction" / "isal" / "__init__.pyc").is_file()
    assert (build_dir / "ViewerFunction" / "genai_prices" / "__init__.pyc").is_file()


def test_sizes(build_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sizes = {}
    for name in ("CoreLayer", "IngestFunction", "ViewerFunction", "IndexerFunction", "AdminFunction"):
        art = build_dir / name
        sizes[name] = (tree_size(art), zipped_size(art))
    lines = [f"{n}: {u / MB:.2f} MB unzipped, {z / MB:.2f} MB zipped" for n, (u, z) in sizes.items()]
    report(capsys, "artifact sizes: " + "; ".join(lines))
    assert sizes["CoreLayer"][0] <= LAYER_MAX_BYTES, lines[0]
    for fn in ("IngestFunction", "ViewerFunction", "IndexerFunction", "AdminFunction"):
        assert sizes[fn][0] <= FUNCTION_MAX_BYTES, f"{fn} is not small: {sizes[fn][0] / MB:.2f} MB"
        # The architecture's package budget: what Lambda unpacks for one function, its layer included.
        with_layer = sizes[fn][0] + sizes["CoreLayer"][0]
        report(capsys, f"{fn} with its layer: {with_layer / MB:.2f} MB unzipped")
        assert with_layer <= PACKAGE_BUDGET_BYTES, f"{fn} with its layer: {with_layer / MB:.2f} MB unzipped"


IMPORT_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import {module} as m
t1 = time.perf_counter()
import fastapi, mangum, psycopg, avcore, avprotocol
{extra}
assert callable(m.handler), "handler is not callable"
print(json.dumps({{"import_s": t1 - t0,
                   "handler": m.__file__, "fastapi": fastapi.__file__, "psycopg": psycopg.__file__,
                   "avcore": avcore.__file__, "mangum": mangum.__file__, "avprotocol": avprotocol.__file__,
                   "site": [p for p in sys.path if "site-packages" in p]}}))
"""


@pytest.mark.parametrize(
    ("function", "module"), [("IngestFunction", "ingest_fn"), ("ViewerFunction", "viewer_fn")]
)
def test_handler_imports_from_built_artifacts(
    build_dir: Path, function: str, module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fn_dir = build_dir / function
    layer_py = build_dir / "CoreLayer" / "python"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        # Lambda's order: the function code (/var/task) first, then the layer (/opt/python).
        "PYTHONPATH": f"{fn_dir}{os.pathsep}{layer_py}",
        "PYTHONDONTWRITEBYTECODE": "1",  # Lambda's code dirs are read-only
        "AV_DATABASE_URL": "postgresql://u:p@127.0.0.1/db",
        "AV_SESSION_SECRET": "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40)),
        "AV_ENVIRONMENT": "production",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LAMBDA_TASK_ROOT": str(fn_dir),
    }
    # -S: no site-packages at all, so every third-party import must come from the layer.
    # What the function imports on first use, beyond the handler, must import from its artifact too.
    extra = {"ingest_fn": "from isal import igzip_lib", "viewer_fn": "import genai_prices.data"}[module]
    cmd = [python311(), "-S", "-c", IMPORT_PROBE.format(module=f"{module}.handler", extra=extra)]
    times, walls = [], []
    info: dict = {}
    for _ in range(IMPORT_RUNS):
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, cwd=fn_dir)
        walls.append(time.perf_counter() - started)
        assert proc.returncode == 0, (
            f"importing {module}.handler from the built artifacts failed:\n{proc.stderr}"
        )
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        times.append(info["import_s"])
    assert info["handler"].startswith(str(fn_dir)), info
    for dep in ("fastapi", "psycopg", "avcore", "avprotocol", "mangum"):
        assert info[dep].startswith(str(layer_py)), f"{dep} was not imported from the layer: {info[dep]}"
    assert not info["site"], f"site-packages leaked into the probe: {info['site']}"
    median = statistics.median(times)
    wall = statistics.median(walls)
    report(
        capsys,
        f"{module}.handler import: median {median * 1000:.0f} ms over {IMPORT_RUNS} fresh processes "
        f"(runs: {', '.join(f'{t * 1000:.0f}' for t in times)} ms; whole process {wall * 1000:.0f} ms); "
        f"budget {IMPORT_BUDGET_S * 1000:.0f} ms -> {'within' if median <= IMPORT_BUDGET_S else 'OVER'} budget",
    )
    # Reported, not asserted: a wall-clock bound in a test fails on a busy machine, not on a
    # regression. The cold-start budget is measured by a benchmark on the built package.


def test_the_cold_start_benchmark_runs_on_the_build(
    build_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """bench/coldstart.py on this build, briefly: every figure is produced (timings are reported,
    never asserted: a busy machine is not a regression; the budgets are read from a quiet run)."""
    from bench import coldstart

    results = coldstart.measure(build_dir, repeat=2)
    report(capsys, coldstart.render(results))
    cases = {f"{fn} / {path}" for fn in coldstart.FUNCTIONS for path in ("env DSN", "secrets")}
    assert set(results["ready_ms"]) == cases
    for figures in results["ready_ms"].values():
        assert 0 < figures["q1"] <= figures["median"] <= figures["q3"]
        assert figures["median"] <= figures["process_median"]
        assert 0 < figures["cpu_median"]
        assert 0 < figures["first_request_cpu_median"] and 0 < figures["first_request_median"]
    for function, parts in results["breakdown_ms"].items():
        assert {"fastapi", "pydantic"} <= set(parts), (function, parts)
        assert "psycopg" not in parts, "psycopg comes with the first database use, not the handler import"
    for function, size in results["sizes_with_layer"].items():
        assert size["unzipped_mb"] > 0, (function, size)  # the budget is checked by test_sizes


SERVE_PROBE = """
import base64, json, sys
import {module} as m
import psycopg.pq
answers = []
for event in json.load(sys.stdin):
    answer = m.handler(event, None)
    body = answer.get("body") or ""
    raw = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
    answers.append({{"status": answer["statusCode"], "headers": answer.get("headers", {{}}),
                     "body": raw.decode(errors="replace")}})
{extra}
print(json.dumps({{"answers": answers, "pq": psycopg.pq.__impl__, "loaded": sorted(sys.modules), **extra}}))
"""
# The viewer prices usage from genai-prices' bundled table (imported on first use, not by the handler).
PRICE_PROBE = """
from viewer_fn.pricing import PriceTable
rates = PriceTable().rates("claude-sonnet-4-5", 0, None)
extra = {"price": None if rates is None else str(rates.output)}
"""


def serve_from_build(
    build_dir: Path, function: str, module: str, events: list[dict], extra: str = "extra = {}"
) -> dict:
    """The built handler (``-S``: the artifact and layer only, as on Lambda) answering ``events``."""
    fn_dir = build_dir / function
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{fn_dir}{os.pathsep}{build_dir / 'CoreLayer' / 'python'}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AV_DATABASE_URL": "postgresql://u:p@127.0.0.1:9/db",  # nothing here connects
        "AV_SESSION_SECRET": secrets.token_urlsafe(32),
        "AV_ENVIRONMENT": "production",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LAMBDA_TASK_ROOT": str(fn_dir),
    }
    proc = subprocess.run(
        [python311(), "-S", "-c", SERVE_PROBE.format(module=f"{module}.handler", extra=extra)],
        input=json.dumps(events), env=env, capture_output=True, text=True, timeout=120, cwd=fn_dir,
    )  # fmt: skip
    assert proc.returncode == 0, f"the built {function} failed to answer:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_built_functions_answer_and_document_themselves_as_the_code_does(build_dir: Path) -> None:
    """What the build strips (third-party docstrings and asserts: bytecode at level 2; stubs,
    plugins, psycopg's ctypes wrapper, long metadata) changes nothing the functions do: the
    built handlers route, refuse and serve pages, and the OpenAPI documents they generate are
    the ones in docs/ (pydantic and FastAPI would put a lost docstring there)."""
    from infra.openapi import INGEST_OPENAPI, VIEWER_OPENAPI, render
    from tests.lambda_events import http_v2_event

    ingest = serve_from_build(build_dir, "IngestFunction", "ingest_fn", [
        http_v2_event("GET", "/v1/health"),
        http_v2_event("GET", "/v1/openapi.json"),
        http_v2_event("GET", "/v1/nowhere"),
    ])  # fmt: skip
    health, document, unknown = ingest["answers"]
    assert health["status"] == 200, health
    assert render(json.loads(document["body"])) == INGEST_OPENAPI.read_text()
    assert unknown["status"] == 404 and json.loads(unknown["body"])["status"] == 404, unknown
    viewer = serve_from_build(build_dir, "ViewerFunction", "viewer_fn", [
        http_v2_event("GET", "/"),
        http_v2_event("GET", "/api/v1/openapi.json"),
        http_v2_event("DELETE", "/api/v1/sessions/s1"),  # the viewer writes nothing
    ], PRICE_PROBE)  # fmt: skip
    page, document, sessions = viewer["answers"]
    assert page["status"] == 200 and "<html" in page["body"].lower(), page["status"]
    assert render(json.loads(document["body"])) == VIEWER_OPENAPI.read_text()
    assert sessions["status"] == 405 and sessions["headers"]["allow"], sessions
    assert viewer["price"] and float(viewer["price"]) > 0, viewer["price"]
    for served in (ingest, viewer):
        assert served["pq"] == "binary", "psycopg-binary's libpq wrapper is the one the layer ships"
        assert not {"anyio._backends._trio", "pydantic.mypy"} & set(served["loaded"])
