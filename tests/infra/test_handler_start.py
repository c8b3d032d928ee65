"""What a Lambda handler's import does besides importing (docs/deployment.md, "Cold start"): the
garbage collector does not run while it imports and builds the app, and is on (everything frozen)
once the handler is ready; the pydantic models FastAPI defines for OpenAPI documents, and the
other function's settings, are not built until something uses them, and the OpenAPI document is
the same when something does. Checked in a fresh interpreter, by state, not by time."""

from __future__ import annotations

import json

import pytest

from infra.openapi import INGEST_OPENAPI, VIEWER_OPENAPI, render
from tests.infra.handler_probe import REPO, probe_json

PROBE = """
import gc, json, sys
sys.path.insert(0, {repo!r})
collections = []  # from the handler module's first line (not its compilation) to the freeze

def counted(phase, info):
    if phase == "start" and {handler!r} in sys.modules and not gc.get_freeze_count():
        collections.append(info["generation"])

gc.callbacks.append(counted)

import {handler} as module

gc.callbacks.clear()
import fastapi.openapi.models as oa
import pydantic
from avcore import settings
from infra.openapi import render
from tests.lambda_events import FakeContext, http_v2_event

state = {{
    "collections_during_import": collections,
    "gc_enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
    "built": {{
        name: getattr(cls, "__pydantic_complete__")
        for name, cls in [
            ("OpenAPI", oa.OpenAPI), ("PathItem", oa.PathItem), ("Components", oa.Components),
            ("Info", oa.Info), ("HTTPBearer", oa.HTTPBearer),
            ("IngestSettings", settings.IngestSettings), ("ViewerSettings", settings.ViewerSettings),
        ]
    }},
    "base_config": dict(pydantic.BaseModel.model_config),
}}
answer = module.handler(http_v2_event("GET", {openapi_path!r}), FakeContext())
state["openapi_status"] = answer["statusCode"]
state["openapi"] = render(json.loads(answer["body"]))
print(json.dumps(state))
"""

CASES = {
    "ingest_fn.handler": ("/v1/openapi.json", INGEST_OPENAPI, {}, "IngestSettings", "ViewerSettings"),
    "viewer_fn.handler": (
        "/api/v1/openapi.json",
        VIEWER_OPENAPI,
        {"AV_SESSION_SECRET": "s" * 40},
        "ViewerSettings",
        "IngestSettings",
    ),
}


@pytest.mark.parametrize("handler", sorted(CASES))
def test_a_handler_starts_without_collecting_and_without_building_fastapis_openapi_models(
    handler: str,
) -> None:
    openapi_path, document, extra, own_settings, other_settings = CASES[handler]
    code = PROBE.format(repo=str(REPO), handler=handler, openapi_path=openapi_path)
    state = probe_json(code, extra)

    # none until the app was built and frozen (~110 before: avcore/runtime.py)
    assert state["collections_during_import"] == []
    assert state["gc_enabled"] and state["frozen"] > 50_000

    built = state["built"]
    assert not (built["OpenAPI"] or built["PathItem"] or built["Components"] or built["Info"]), built
    assert not built["HTTPBearer"], built
    assert built[own_settings] and not built[other_settings], built
    assert "defer_build" not in state["base_config"]  # our own models are built as they always were

    # The deferred models build themselves for the document, which is the one docs/ holds.
    assert state["openapi_status"] == 200
    assert state["openapi"] == render(json.loads(document.read_text()))


FAILING_IMPORT = """
import gc, json, sys
sys.path.insert(0, {repo!r})
try:
    import {handler}
except Exception as error:
    print(json.dumps({{"error": type(error).__name__, "gc_enabled": gc.isenabled()}}))
"""


@pytest.mark.parametrize("handler", sorted(CASES))
def test_a_handler_whose_build_fails_leaves_the_collector_on(handler: str) -> None:
    """The handler turns the collector off for its import; a failed build (here, a setting
    that does not validate) must turn it back on for whatever imported it and lives on."""
    code = FAILING_IMPORT.format(repo=str(REPO), handler=handler)
    state = probe_json(code, {"AV_ENVIRONMENT": "staging", "AV_SESSION_SECRET": "s" * 40})
    assert state == {"error": "SettingsError", "gc_enabled": True}
