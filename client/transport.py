"""The HTTPS channel to ingest_fn: verified TLS, gzip bodies, polite retries.

One ``httpx.Client`` per run, shared by the threads of a pipelined push (it is
thread-safe; ``last_response`` is kept per thread). httpx's own retries cover
connection failures only, so 429 and 5xx are retried here with exponential
backoff and jitter, honouring ``Retry-After``. The token only ever travels in
the Authorization header.
"""

from __future__ import annotations

import random
import ssl
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson

from client.compression import gzip_body
from client.config import ClientConfig

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
CONNECT_RETRIES = 2
MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
RETRY_AFTER_CAP_S = 120.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class PushError(RuntimeError):
    """The server refused a request or could not be reached; the message says which."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # None: the server was not reached


def retry_delay(attempt: int, retry_after: str | None, *, now: float | None = None) -> float:
    """Exponential backoff with jitter; a server's ``Retry-After`` (seconds or HTTP date) is a floor."""
    delay: float = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)  # noqa: S311
    if retry_after:
        wait: float | None = None
        if retry_after.strip().isdigit():
            wait = float(retry_after)
        else:
            try:
                wait = parsedate_to_datetime(retry_after).timestamp() - (
                    now if now is not None else time.time()
                )
            except (TypeError, ValueError):
                wait = None
        if wait is not None:
            delay = max(delay, min(wait, RETRY_AFTER_CAP_S))
    return delay


def _ssl_context(config: ClientConfig) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(config.ca_bundle) if config.ca_bundle else None)
    if config.ca_bundle:
        ctx.load_default_certs()  # a private CA adds to, not replaces, the system roots
    return ctx


class IngestClient:
    """One run's connection to ingest_fn. ``sleep`` is injectable so tests need not wait."""

    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(self, config: ClientConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.endpoint = config.endpoint
        self._per_thread = threading.local()
        if config.plain_http:
            warnings.warn(
                f"sending to {config.endpoint} over plain HTTP (allowed to loopback only)", stacklevel=2
            )
        tls = _ssl_context(config)  # built once: loading the system roots costs ~40 ms each time
        self._client = httpx.Client(
            base_url=config.endpoint,
            timeout=DEFAULT_TIMEOUT,
            verify=tls,  # used for proxy transports httpx builds from the environment
            transport=transport or httpx.HTTPTransport(retries=CONNECT_RETRIES, verify=tls),
            headers={"Authorization": f"Bearer {config.token}", "User-Agent": "av-client/0.1"},
        )

    @property
    def last_response(self) -> httpx.Response | None:
        """The calling thread's last response: another thread's concurrent request must not replace it."""
        return getattr(self._per_thread, "last_response", None)

    def __enter__(self) -> IngestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def post_json(self, path: str, payload: dict[str, Any], *, body: bytes | None = None) -> dict[str, Any]:
        """POST gzip JSON. A retry resends the same bytes (same ``request_id``), so the server replays."""
        data = body if body is not None else gzip_body(orjson.dumps(payload))
        headers = {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "X-Request-Id": str(payload.get("request_id") or uuid.uuid4().hex),
        }
        return self._send("POST", path, content=data, headers=headers)

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._send("GET", path, params=params)

    def _send(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = self._client.request(method, path, **kw)
            except httpx.TransportError as exc:
                if attempt == MAX_ATTEMPTS:
                    raise PushError(
                        f"cannot reach {self._client.base_url}: {type(exc).__name__}: {exc}"
                    ) from None
                self.sleep(retry_delay(attempt, None))
                continue
            self._per_thread.last_response = response
            if response.status_code in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                self.sleep(retry_delay(attempt, response.headers.get("retry-after")))
                continue
            try:
                body = response.json()
            except ValueError:
                body = {}
            if response.is_success:
                return body if isinstance(body, dict) else {}
            message = body.get("error") if isinstance(body, dict) else None
            raise PushError(
                f"{method} {path} failed: HTTP {response.status_code}: {message or response.reason_phrase}",
                status=response.status_code,
            )
        raise AssertionError("unreachable")
