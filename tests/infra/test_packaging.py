"""Packages by deployable: the client's wheel depends on exactly what the client imports, and nothing
of the server's; the client never imports server code; the functions' layer pins what they import."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLIENT_PACKAGES = ("client", "avprotocol")  # what packaging/av-client ships
SERVER_PACKAGES = {"avcore", "ingest_fn", "viewer_fn", "infra"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return canonical(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0])


def top_level_imports(package: str) -> dict[str, set[str]]:
    """Absolute imports' top-level names in every module of ``package`` -> the files importing them."""
    found: dict[str, set[str]] = {}
    for path in (REPO / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(REPO)))
    return found


def client_imports() -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for package in CLIENT_PACKAGES:
        for name, files in top_level_imports(package).items():
            merged.setdefault(name, set()).update(files)
    return merged


def test_the_client_never_imports_server_code() -> None:
    leaks = {name: sorted(files) for name, files in client_imports().items() if name in SERVER_PACKAGES}
    assert not leaks, f"the client wheel does not ship these: {leaks}"


def test_the_client_wheel_depends_on_exactly_what_the_client_imports() -> None:
    project = tomllib.loads((REPO / "packaging" / "av-client" / "pyproject.toml").read_text())["project"]
    declared = {requirement_name(r) for r in project["dependencies"]}
    third_party = {
        name
        for name in client_imports()
        if name not in sys.stdlib_module_names and name not in CLIENT_PACKAGES
    }
    distributions = packages_distributions()
    unknown = sorted(n for n in third_party if n not in distributions)
    assert not unknown, f"imported by the client but not installed here: {unknown}"
    needed = {canonical(distributions[name][0]) for name in third_party}
    assert declared == needed, (
        f"packaging/av-client/pyproject.toml: missing {sorted(needed - declared)}, "
        f"not imported by the client {sorted(declared - needed)}"
    )


def test_the_dev_environment_has_what_the_client_needs() -> None:
    client = tomllib.loads((REPO / "packaging" / "av-client" / "pyproject.toml").read_text())["project"]
    root = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert {requirement_name(r) for r in client["dependencies"]} <= {
        requirement_name(r) for r in root["dependencies"]
    }
