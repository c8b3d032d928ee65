"""Docs that cannot drift: every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

from avcore.settings import IngestSettings, ViewerSettings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    fields = set(IngestSettings.model_fields) | set(ViewerSettings.model_fields)
    missing = [f"AV_{name.upper()}" for name in sorted(fields) if f"`AV_{name.upper()}`" not in text]
    assert not missing, f"docs/settings.md lacks {missing}"


def test_the_ingest_openapi_document_in_the_repo_matches_the_code() -> None:
    from infra.openapi import INGEST_OPENAPI, ingest_openapi, render

    assert INGEST_OPENAPI.read_text() == render(ingest_openapi()), (
        "docs/openapi-ingest.json is stale; regenerate it with `.venv/bin/python -m infra.openapi`"
    )


def test_the_protocol_doc_names_every_ingest_route() -> None:
    from infra.openapi import ingest_openapi

    text = (DOCS.parent / "protocol.md").read_text()
    for path in ingest_openapi()["paths"]:
        assert path in text, f"docs/protocol.md does not describe {path}"


def test_every_ingest_route_is_routed_by_the_sam_template() -> None:
    import re

    from infra.openapi import ingest_openapi

    template = (DOCS.parents[1] / "template.yaml").read_text()
    routed = set(re.findall(r"Method: (\w+)\n\s+Path: (/v1/\S+)", template))
    for path, operations in ingest_openapi()["paths"].items():
        for method in operations:
            assert (method.upper(), path) in routed, f"template.yaml does not route {method.upper()} {path}"


def _row(page: str, label: str) -> list[str]:
    """The cells of the Markdown table row of ``page`` (under docs/) that starts with ``label``."""
    text = (DOCS.parent / page).read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith(f"| {label} |"))
    return [cell.strip() for cell in line.strip().strip("|").split("|")][1:]


def _gigabytes(cell: str) -> float:
    return float(re.search(r"([\d,.]+) GB", cell).group(1).replace(",", ""))  # type: ignore[union-attr]


def test_the_monthly_cost_stores_the_database_size_scaling_md_measured() -> None:
    """deploy.md's cost per month priced 10 M and 100 M messages at 34 and 340 GB, the size per
    message before whole texts were indexed; scaling.md measures 8.85 GB per million now."""
    held = _row("deploy.md", "machines / messages held")
    assert [cell.split(" / ")[1] for cell in held] == ["1 M", "10 M", "100 M"]
    sizes = [_gigabytes(cell) for cell in _row("scaling.md", "database size")]  # 1 M, 10 M, 100 M
    stored = [_gigabytes(cell) for cell in _row("deploy.md", "database storage")]
    assert stored[0] >= sizes[0], "the small team's volume must hold 1 M messages"
    assert stored[1:] == sizes[1:], (stored, sizes)
    # Aurora storage at 0.10 $/GB-month (scaling.md's price list)
    dollars = [
        float(re.match(r"\$([\d,.]+)", cell).group(1).replace(",", ""))
        for cell in _row("deploy.md", "database storage")[1:]
    ]  # type: ignore[union-attr]
    assert dollars == [round(gb * 0.10, 2) for gb in sizes[1:]], dollars
