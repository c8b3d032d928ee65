"""Write the ingest OpenAPI document kept in the repository: ``python -m infra.openapi``.

The file is what integrators read without running anything; a test fails when it
no longer matches what the code serves at ``/v1/openapi.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INGEST_OPENAPI = Path(__file__).resolve().parents[1] / "docs" / "openapi-ingest.json"
# Building the app needs a syntactically valid DSN; nothing connects to it.
PLACEHOLDER_DSN = "postgresql://openapi@127.0.0.1:9/openapi"


def ingest_openapi() -> dict[str, Any]:
    from avcore.settings import IngestSettings
    from ingest_fn.app import create_app

    return create_app(IngestSettings(database_url=PLACEHOLDER_DSN, environment="local")).openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    INGEST_OPENAPI.write_text(render(ingest_openapi()))
