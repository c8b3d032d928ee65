"""Transport behaviour only (httpx.MockTransport): retries, backoff, Retry-After, errors, the token."""

from __future__ import annotations

import gzip
import threading
from email.utils import formatdate

import httpx
import orjson
import pytest
from pydantic import BaseModel

from avprotocol.answers import StatusResponse
from client.config import ClientConfig
from client.transport import MAX_ATTEMPTS, IngestClient, PushError, gzip_json, retry_delay

CONFIG = ClientConfig("https://ingest.example.com", "avd_secret", None, False)


class Ok(BaseModel):
    ok: bool


class Payload(BaseModel):
    request_id: str
    x: int


def _client(handler, sleeps: list[float]) -> IngestClient:
    client = IngestClient(CONFIG, transport=httpx.MockTransport(handler))
    client.sleep = sleeps.append
    return client


def test_429_and_5xx_are_retried_with_the_same_body_honouring_retry_after() -> None:
    bodies: list[bytes] = []
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(503),
            httpx.Response(200, json={"ok": True}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        assert request.headers["authorization"] == "Bearer avd_secret"
        assert request.headers["content-encoding"] == "gzip"
        return next(answers)

    sleeps: list[float] = []
    with _client(handler, sleeps) as client:
        body = gzip_json(Payload(request_id="r1234567", x=1))
        assert client.post("/v1/push", body, answer=Ok, request_id="r1234567") == Ok(ok=True)
    assert len(set(bodies)) == 1 and orjson.loads(gzip.decompress(bodies[0]))["request_id"] == "r1234567"
    assert sleeps[0] >= 7 and 0 < sleeps[1] <= 1.0


def test_network_errors_are_retried_then_reported() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    sleeps: list[float] = []
    with _client(handler, sleeps) as client, pytest.raises(PushError, match="cannot reach") as err:
        client.get("/v1/status", answer=StatusResponse)
    assert err.value.status is None and len(sleeps) == MAX_ATTEMPTS - 1
    assert sleeps == sorted(sleeps) or max(sleeps) <= 30  # grows, capped


def test_a_4xx_is_not_retried_and_names_the_status() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(401, json={"ok": False, "error": "unknown token"})

    with _client(handler, []) as client, pytest.raises(PushError, match="HTTP 401: unknown token") as err:
        client.get("/v1/status", answer=StatusResponse)
    assert err.value.status == 401 and len(calls) == 1 and "avd_secret" not in str(err.value)


def test_backoff_is_exponential_with_jitter_and_retry_after_dates_work() -> None:
    assert all(0.25 <= retry_delay(1, None) <= 0.5 for _ in range(50))
    assert all(4 <= retry_delay(5, None) <= 8 for _ in range(50))
    assert retry_delay(1, formatdate(1_000_030, usegmt=True), now=1_000_000) == pytest.approx(30, abs=1)
    assert retry_delay(1, "garbage") <= 0.5
    assert retry_delay(1, "99999") == 120.0  # capped


def test_the_token_is_never_in_repr_or_url() -> None:
    seen = []
    with _client(lambda r: seen.append(str(r.url)) or httpx.Response(200, json={"ok": True}), []) as client:
        client.get("/v1/sessions", answer=Ok, params={"limit": 5})
    assert "avd_secret" not in repr(CONFIG) and "avd_secret" not in seen[0]


def test_last_response_is_each_threads_own() -> None:
    """A pipelined push shares one client between threads; one thread's answer must not replace another's."""
    client = _client(lambda r: httpx.Response(200 if r.url.path == "/a" else 201, json={"ok": True}), [])
    first_done, second_done = threading.Event(), threading.Event()
    seen: dict[str, int | None] = {}

    def first() -> None:
        client.get("/a", answer=Ok)
        first_done.set()
        second_done.wait(5)
        seen["first"] = client.last_response.status_code if client.last_response else None

    thread = threading.Thread(target=first)
    with client:
        thread.start()
        first_done.wait(5)
        client.get("/b", answer=Ok)  # made after the other thread's request, before it looks
        second_done.set()
        thread.join(5)
        assert seen == {"first": 200} and client.last_response is not None
        assert client.last_response.status_code == 201


def test_an_answer_that_is_not_the_protocol_is_an_error_naming_the_field() -> None:
    """The bug this prevents: reading a field the server never sends gave a silent None."""
    answer = {"ok": True, "protocol": 1, "machine": "m", "sessions": 1}  # no database_id, ...
    with _client(lambda r: httpx.Response(200, json=answer), []) as client:
        with pytest.raises(PushError, match="not a protocol v1 StatusResponse.*database_id") as err:
            client.get("/v1/status", answer=StatusResponse)
    assert err.value.status == 200  # the server was reached: not counted as unreachable


def test_an_endpoint_with_a_base_path_keeps_it() -> None:
    """A stack behind a custom domain mapped at /av: its ClientEndpoint is https://domain/av."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"ok": True})

    config = ClientConfig("https://av.example.com/av", "avd_secret", None, False)
    with IngestClient(config, transport=httpx.MockTransport(handler)) as client:
        client.get("/v1/health", answer=Ok)
    assert seen == ["/av/v1/health"]


def test_overload_is_waited_out_for_about_three_quarters_of_a_minute() -> None:
    """A throttled deployment answers 500 or 429 without Retry-After; av-client keeps trying."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"message": "Internal Server Error"})

    sleeps: list[float] = []
    with _client(handler, sleeps) as client, pytest.raises(PushError, match="HTTP 500"):
        client.get("/v1/status", answer=StatusResponse)
    assert len(sleeps) == MAX_ATTEMPTS - 1 and 20 <= sum(sleeps) <= 70
