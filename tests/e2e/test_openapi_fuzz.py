"""schemathesis over both OpenAPI documents (docs/openapi-*.json): no request answers 5xx.

Each operation of each document gets generated requests, valid and invalid (parameters and
bodies as the schema allows them, then mutated), sent to the in-process apps over a real
database (the ``apps`` fixture; no network). The documents in docs/ are the served ones:
tests/viewer/test_openapi.py and tests/ingest keep them equal. Property tests over single
parameters with hostile values are tests/viewer/test_bad_params.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from tests.apps import make_session

DOCS = Path(__file__).resolve().parents[2] / "docs"
FUZZ = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
ingest = schemathesis.openapi.from_dict(json.loads((DOCS / "openapi-ingest.json").read_text()))
viewer = schemathesis.openapi.from_dict(json.loads((DOCS / "openapi-viewer.json").read_text()))


def send(client: Any, case: Any, token: str) -> Any:
    kwargs = case.as_transport_kwargs(
        base_url="http://testserver", headers={"Authorization": f"Bearer {token}"}
    )
    kwargs.pop("cookies", None)
    if "data" in kwargs:
        kwargs["content"] = kwargs.pop("data")
    return client.request(**kwargs)


@ingest.parametrize()
@FUZZ
def test_no_ingest_request_answers_5xx(case: Any, apps: Any) -> None:
    r = send(apps.ingest, case, apps.device_token)
    assert r.status_code < 500, (case.method, case.path, r.status_code, r.text[:300])


@viewer.parametrize()
@FUZZ
def test_no_viewer_request_answers_5xx(case: Any, apps: Any) -> None:
    if (
        case.path_parameters
        and "sid" in case.path_parameters
        and apps.view("/api/v1/sessions").json()["total"] == 0
    ):
        apps.push(make_session("s1", messages=4))
    r = send(apps.viewer, case, apps.viewer_token)
    assert r.status_code < 500, (case.method, case.path, r.status_code, r.text[:300])
