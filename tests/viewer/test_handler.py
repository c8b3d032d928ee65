"""The viewer Lambda handler, invoked with API Gateway HTTP API v2 events: the heavy session of
issue 15 opens under Lambda's response limit, and all of it is reachable."""

from __future__ import annotations

import base64
import importlib
import json
import random
import string
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.apps import SESSION_SECRET, build_apps
from tests.lambda_events import FakeContext, http_v2_event, response_json
from tests.viewer.bounded_sessions import MB, eight_megabyte_outputs, push_gzip, session
from viewer_fn.budget import BLOCK_CHARS, RESPONSE_LIMIT_BYTES, ROWS_BUDGET_BYTES

# What Lambda can return from a synchronous invocation: 6 MB (MiB), the JSON envelope included.
LAMBDA_ANSWER_LIMIT_BYTES = 6 * 1024 * 1024


@pytest.fixture
def lambda_viewer(monkeypatch, db):
    apps = build_apps(db)
    monkeypatch.setenv("AV_DATABASE_URL", db.viewer_dsn)
    monkeypatch.setenv("AV_SESSION_SECRET", SESSION_SECRET)
    monkeypatch.setenv("AV_ENVIRONMENT", "production")
    import viewer_fn.handler

    module = importlib.reload(viewer_fn.handler)
    yield apps, module
    module.app.state.db.close()
    apps.ingest.app.state.db.close()
    apps.viewer.app.state.db.close()


def invoke(module, token: str, url: str, method: str = "GET") -> dict[str, Any]:
    """One invocation for ``url`` (a path, or an absolute URL the API gave); the whole Lambda
    response -- what API Gateway must carry -- stays under the limit."""
    parts = urlsplit(url)
    event = http_v2_event(method, parts.path, query=parts.query, headers={"authorization": f"Bearer {token}"})
    response = module.handler(event, FakeContext())
    assert len(json.dumps(response)) < RESPONSE_LIMIT_BYTES, (url, len(json.dumps(response)))
    assert response["statusCode"] == 200, (url, response["statusCode"], str(response.get("body"))[:300])
    return response


def test_a_session_of_eight_megabyte_outputs_opens_through_the_handler(lambda_viewer) -> None:
    apps, module = lambda_viewer
    sent = eight_megabyte_outputs()
    push_gzip(apps, sent)
    token = apps.viewer_token

    rows: list[dict[str, Any]] = []
    url: str | None = "/api/v1/sessions/laptop:heavy/messages?limit=200"
    while url:
        page = response_json(invoke(module, token, url))
        rows += page["rows"]
        url = page["next_url"]
    assert [m["ordinal"] for m in rows] == list(range(16))

    for k in range(8):
        original = sent["messages"][2 * k + 1]["tool_calls"][0]["result_content"]
        (cut,) = rows[2 * k + 1]["cuts"]
        assert cut["total_chars"] == MB == len(original)
        text, url = rows[2 * k + 1]["tool_calls"][0]["result_content"], cut["url"]
        while url:
            piece = response_json(invoke(module, token, url))
            text += piece["text"]
            url = piece["next_url"]
        assert text == original

    detail = response_json(invoke(module, token, "/api/v1/sessions/laptop:heavy"))
    assert detail["session"]["message_count"] == 16
    head = invoke(module, token, "/api/v1/sessions/laptop:heavy/messages?limit=200", method="HEAD")
    assert not head.get("body") and int(head["headers"]["content-length"]) > 0

    export = invoke(module, token, "/api/v1/sessions/laptop:heavy/export")
    html = base64.b64decode(export["body"]) if export.get("isBase64Encoded") else export["body"].encode()
    assert b"out7:" in html and b"<script" not in html
    assert len(html) < RESPONSE_LIMIT_BYTES


def test_gzipped_pages_of_the_least_compressible_text_fit_lambdas_answer(lambda_viewer) -> None:
    """Random printable ASCII is the text gzip shrinks least; a page of it at the byte budget,
    gzipped and then base64-encoded by Mangum, still fits Lambda's 6 MB answer."""
    apps, module = lambda_viewer
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + string.punctuation + " "
    texts = ["".join(rng.choices(alphabet, k=BLOCK_CHARS)) for _ in range(70)]
    push_gzip(apps, session("noise", [{"content": t} for t in texts]))
    url = "/api/v1/sessions/laptop:noise/messages?limit=200"
    parts = urlsplit(url)
    headers = {"authorization": f"Bearer {apps.viewer_token}", "accept-encoding": "gzip"}
    response = module.handler(
        http_v2_event("GET", parts.path, query=parts.query, headers=headers), FakeContext()
    )
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True and response["headers"]["content-encoding"] == "gzip"
    page = response_json(response)
    sent = len(json.dumps(response))
    assert sent < LAMBDA_ANSWER_LIMIT_BYTES, sent
    # The page really was at the budget (else this proves nothing) and nothing was lost.
    assert len(json.dumps(page)) > ROWS_BUDGET_BYTES * 0.9
    assert [m["content"] for m in page["rows"]] == texts[: len(page["rows"])]
    assert page["next_url"]
