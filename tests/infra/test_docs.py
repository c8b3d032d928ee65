"""Docs that cannot drift: every setting is documented."""

from __future__ import annotations

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
