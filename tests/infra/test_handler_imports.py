"""What a cold start imports: the Lambda handlers import only what every request needs; a route
group (its module and its models), psycopg, boto3 and the price table come with the first request
that uses them (docs/deployment.md, "Cold start"). Checked in a fresh interpreter, by module names
in ``sys.modules``: what was imported, not how long it took."""

from __future__ import annotations

import pytest

from tests.infra.handler_probe import REPO, probe_json

PROBE = """
import json, sys
sys.path.insert(0, {repo!r})
from tests.lambda_events import FakeContext, http_v2_event

def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] in {packages!r})

import {handler} as module
steps = {{"import": loaded()}}
for path in {paths!r}:
    answer = module.handler(http_v2_event("GET", path), FakeContext())
    steps[path] = [answer["statusCode"], loaded()]
print(json.dumps(steps))
"""

# Never imported by the handler itself: the route groups, the answers' models, and what only
# some paths use. Each module here is imported by a request below (so the list is not stale).
VIEWER_LAZY = {
    "viewer_fn.routes_auth",
    "viewer_fn.routes_messages",
    "viewer_fn.routes_sessions",
    "viewer_fn.routes_search",
    "viewer_fn.routes_analytics",
    "viewer_fn.routes_meta",
    "viewer_fn.models",
    "viewer_fn.models_analytics",
    "viewer_fn.models_cost",
    "viewer_fn.models_meta",
    "viewer_fn.models_search",
    "viewer_fn.queries_search",
    "viewer_fn.queries_analytics",
}
INGEST_LAZY = {
    "ingest_fn.routes_push",
    "ingest_fn.routes_machine",
    "ingest_fn.store",
    "ingest_fn.rows",
    "avprotocol.requests",
    "avprotocol.session",
    "avprotocol.answers",  # the error body's model, documented on each group as it is built
}
# pydantic-settings and python-dotenv are not even shipped any more (avcore.settings reads AV_*).
NEVER_AT_START = {"boto3", "botocore", "genai_prices", "httpx2", "pydantic_settings", "dotenv"}
# psycopg (with libpq and OpenSSL) comes with the first request that needs the database; the page
# and a 404 do not (an OpenAPI document builds every route group, whose modules import it).
DATABASE_DRIVER = {"psycopg", "psycopg_binary"}
# Imported by FastAPI's first route build (its check for pydantic v1 models): the page's routes are
# plain Starlette ones (viewer_fn/static_files.py), so only an API route's build brings it.
PYDANTIC_V1 = {"pydantic.v1"}


def run(handler: str, paths: list[str], env: dict[str, str]) -> dict[str, list[object]]:
    packages = sorted(
        {"viewer_fn", "ingest_fn", "avprotocol", "avcore", "pydantic"} | NEVER_AT_START | DATABASE_DRIVER
    )
    code = PROBE.format(repo=str(REPO), packages=packages, handler=handler, paths=paths)
    steps: dict[str, list[object]] = probe_json(code, env)
    return steps


def test_the_viewer_handler_imports_no_route_group_until_a_request_needs_it() -> None:
    steps = run(
        "viewer_fn.handler",
        [
            "/",
            "/api/v1/analytics/summary",
            "/api/v1/sessions/a/messages",
            "/api/v1/search",
            "/api/v1/stats",
            "/api/v1/auth/me",
        ],
        {"AV_SESSION_SECRET": "s" * 40},
    )
    at_start = set(steps["import"])
    unwanted = VIEWER_LAZY | NEVER_AT_START | DATABASE_DRIVER | PYDANTIC_V1
    assert not at_start & unwanted, sorted(at_start & unwanted)

    status, after_page = steps["/"]
    assert not set(after_page) & (VIEWER_LAZY | DATABASE_DRIVER | PYDANTIC_V1), (
        "the page builds no route, needs no database"
    )  # type: ignore[arg-type]
    status, after_analytics = steps["/api/v1/analytics/summary"]
    assert status == 503  # the group was built and its credential dependency ran (no database: 503)
    assert DATABASE_DRIVER <= set(after_analytics)  # type: ignore[arg-type]
    assert {"viewer_fn.routes_analytics", "viewer_fn.models_analytics"} <= set(after_analytics)  # type: ignore[arg-type]
    assert "viewer_fn.routes_search" not in after_analytics  # type: ignore[operator]
    _, after_messages = steps["/api/v1/sessions/a/messages"]
    # /sessions/… may be any of the session routes: both session groups are built, in their order
    assert {"viewer_fn.routes_messages", "viewer_fn.routes_sessions"} <= set(after_messages)  # type: ignore[arg-type]
    _, after_search = steps["/api/v1/search"]
    assert "viewer_fn.routes_meta" not in after_search  # type: ignore[operator]
    _, after_all = steps["/api/v1/auth/me"]
    assert VIEWER_LAZY <= set(after_all)  # type: ignore[arg-type]
    assert not set(after_all) & NEVER_AT_START  # type: ignore[arg-type]


def test_the_ingest_handler_imports_no_route_group_until_a_request_needs_it() -> None:
    steps = run("ingest_fn.handler", ["/v1/health", "/v1/plan"], {})
    at_start = set(steps["import"])
    unwanted = INGEST_LAZY | NEVER_AT_START | DATABASE_DRIVER | PYDANTIC_V1
    assert not at_start & unwanted, sorted(at_start & unwanted)
    _, after_health = steps["/v1/health"]
    assert "ingest_fn.routes_machine" in after_health  # type: ignore[operator]
    assert "ingest_fn.routes_push" not in after_health  # type: ignore[operator]
    _, after_plan = steps["/v1/plan"]
    assert INGEST_LAZY | DATABASE_DRIVER <= set(after_plan)  # type: ignore[operator]


def test_the_viewer_with_its_cookie_key_in_a_secret_reads_it_neither_at_start_nor_for_the_page() -> None:
    """boto3's import and client (~150-260 ms on this machine) come with the first request that signs or checks a
    cookie (tests/avcore/test_secret_rotation.py reads it there, with moto). Secrets Manager is
    unreachable here: reading the secret at the import would fail it."""
    nowhere = {
        "AV_SESSION_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:av/key-AbCdEf",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_MAX_ATTEMPTS": "1",
    }
    steps = run("viewer_fn.handler", ["/"], nowhere)
    assert not set(steps["import"]) & {"boto3", "botocore"}
    status, after_page = steps["/"]
    assert status == 200
    assert not set(after_page) & {"boto3", "botocore"}  # type: ignore[arg-type]


@pytest.mark.parametrize("handler", ["viewer_fn.handler", "ingest_fn.handler"])
def test_reading_secrets_imports_boto3_only_when_a_secret_is_configured(handler: str) -> None:
    """The env-DSN path never imports boto3 (the secret path's cost is docs/deployment.md's)."""
    extra = {"AV_SESSION_SECRET": "s" * 40} if handler.startswith("viewer") else {}
    steps = run(handler, [], extra)
    assert not set(steps["import"]) & {"boto3", "botocore"}
