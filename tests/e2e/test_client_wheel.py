"""av-client installs alone: its wheel builds, holds only the client, and works in an empty virtualenv.

The wheel is built from packaging/av-client (``python -m build``), installed into a fresh venv
with nothing else in it (its dependencies come from the package index, at the versions of the
dev environment), then ``av-client --version`` runs and a push lands on the local stack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from importlib.metadata import distributions
from pathlib import Path

from avprotocol import __version__
from tests.client.push_helpers import write_session
from tests.e2e.test_local_stack import stack  # noqa: F401 - the fixture

REPO = Path(__file__).resolve().parents[2]
SID = "e0000000-0000-4000-8000-00000000000e"
# What a laptop must never get from installing the client.
SERVER_ONLY = {"fastapi", "starlette", "mangum", "psycopg", "psycopg-binary", "boto3", "botocore",
               "uvicorn", "granian", "cryptography", "pydantic-settings", "moto", "pytest"}  # fmt: skip


def build_wheel(out: Path) -> Path:
    # --no-isolation: hatchling comes from the dev environment, so no build environment is downloaded.
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
         str(REPO / "packaging" / "av-client")],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (wheel,) = out.glob("av_client-*.whl")
    return wheel


def test_the_client_wheel_installs_alone_and_pushes(stack, tmp_path: Path) -> None:  # noqa: F811
    wheel = build_wheel(tmp_path / "dist")
    assert wheel.name == f"av_client-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        tops = {name.split("/")[0] for name in zf.namelist()}
        metadata = zf.read(f"av_client-{__version__}.dist-info/METADATA").decode()
    assert tops == {"client", "avprotocol", f"av_client-{__version__}.dist-info"}, tops
    assert not any(".pyc" in n or "__pycache__" in n for n in zf.namelist())

    # An empty venv; the dependencies at the dev environment's versions (so pip's cache serves them).
    target = tmp_path / "laptop"
    venv.create(target, with_pip=True)
    pins = tmp_path / "pins.txt"
    pins.write_text("".join(f"{d.metadata['Name']}=={d.version}\n" for d in distributions()))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run(
        [str(target / "bin" / "pip"), "install", "--disable-pip-version-check", "-q", "-c", str(pins), str(wheel)],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    listed = subprocess.run(
        [str(target / "bin" / "pip"), "list", "--format=json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert "av-client" in installed and not installed & SERVER_ONLY, installed & SERVER_ONLY
    requires = {line.split(":", 1)[1].split(">")[0].split("=")[0].strip().lower()
                for line in metadata.splitlines() if line.startswith("Requires-Dist:")}  # fmt: skip
    assert (
        "pydantic" in requires and not requires & SERVER_ONLY
    )  # exactly which: tests/infra/test_packaging.py

    client = str(target / "bin" / "av-client")
    shown = subprocess.run([client, "--version"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert shown.returncode == 0 and shown.stdout.strip() == f"av-client, version {__version__}"
    where = subprocess.run(
        [str(target / "bin" / "python"), "-c", "import client, avprotocol; print(client.__file__)"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(target)), where.stdout  # the wheel's copy, not the checkout's

    stack_env, values = stack
    root = tmp_path / "claude"
    write_session(root, SID, 6)
    push_env = {
        **env, **stack_env, **values,
        "AV_USER_PATH": str(tmp_path / "user"),
        "CLAUDE_PROJECTS_DIR": str(root),
        "CODEX_SESSIONS_DIR": str(tmp_path / "none"),
        "GEMINI_DIR": str(tmp_path / "none"),
        "AGENTSVIEW_DB": str(tmp_path / "none" / "db"),
    }  # fmt: skip
    pushed = subprocess.run(
        [client, "push", "--json"], capture_output=True, text=True, env=push_env, cwd=tmp_path, timeout=120
    )
    assert pushed.returncode == 0, pushed.stderr
    summary = json.loads(pushed.stdout)
    assert summary["applied"] == 1 and summary["messages_sent"] == 6 and summary["failed"] == []
    verified = subprocess.run(
        [client, "verify", "--json"], capture_output=True, text=True, env=push_env, cwd=tmp_path, timeout=120
    )
    assert verified.returncode == 0 and json.loads(verified.stdout)["database_id"] == summary["database_id"]
