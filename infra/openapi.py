"""Write the OpenAPI documents kept in the repository: ``python -m infra.openapi``.

The files are what integrators read without running anything (and the viewer's is
the source of the web page's TypeScript types); tests fail when one no longer
matches what the code serves (``/v1/openapi.json``, ``/api/v1/openapi.json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1] / "docs"
INGEST_OPENAPI = DOCS / "openapi-ingest.json"
VIEWER_OPENAPI = DOCS / "openapi-viewer.json"
# Building the app needs a syntactically valid DSN; nothing connects to it.
PLACEHOLDER_DSN = "postgresql://openapi@127.0.0.1:9/openapi"


def ingest_openapi() -> dict[str, Any]:
    from avcore.settings import IngestSettings
    from ingest_fn.app import create_app

    return create_app(IngestSettings(database_url=PLACEHOLDER_DSN, environment="local")).openapi()


def viewer_openapi() -> dict[str, Any]:
    from avcore.settings import ViewerSettings
    from viewer_fn.app import create_app

    # The secret signs nothing here; the document does not depend on it.
    settings = ViewerSettings(
        database_url=PLACEHOLDER_DSN, session_secret="openapi-" + "x" * 32, environment="local"
    )
    return create_app(settings).openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    INGEST_OPENAPI.write_text(render(ingest_openapi()))
    VIEWER_OPENAPI.write_text(render(viewer_openapi()))
