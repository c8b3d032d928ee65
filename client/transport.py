"""The HTTPS channel to ingest_fn: verified TLS, gzip bodies, typed answers, polite retries.

One ``httpx.Client`` per run, shared by the threads of a pipelined push (it is
thread-safe; ``last_response`` is kept per thread). httpx's own retries cover
connection failures only, so 429 and 5xx are retried here with exponential
backoff and jitter, honouring ``Retry-After``. The token only ever travels in
the Authorization header.

Every answer is read into its protocol model (``avprotocol.answers``): an answer
that is not what the protocol says is a :class:`PushError` naming the field, not
a ``KeyError`` (or a silent ``None``) somewhere later.
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
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from avprotocol import PROTOCOL_VERSION, __version__
from client.compression import gzip_body
from client.config import ClientConfig

M = TypeVar("M", bound=BaseModel)

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
CONNECT_RETRIES = 2
# Eight attempts wait about 45 s in all (0.5 s doubling, capped at 30 s, jittered): long enough to
# ride out a deployment's throttles, whose Lambda refusals reach the client as a bare 500 with no
# Retry-After (docs/scaling.md); a server's own Retry-After is always honoured as a floor.
MAX_ATTEMPTS = 8
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
            headers={"Authorization": f"Bearer {config.token}", "User-Agent": f"av-client/{__version__}"},
        )

    @property
    def last_response(self) -> httpx.Response | None:
        """The calling thread's last response: another thread's concurrent request must not replace it."""
        return getattr(self._per_thread, "last_response", None)

    def __enter__(self) -> IngestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def post(self, path: str, body: bytes, *, answer: type[M], request_id: str | None = None) -> M:
        """POST a gzip JSON ``body``; a retry resends the same bytes (same ``request_id``), so the server replays."""
        headers = {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "X-Request-Id": request_id or uuid.uuid4().hex,
        }
        return self._send("POST", path, answer, content=body, headers=headers)

    def get(self, path: str, *, answer: type[M], params: dict[str, Any] | None = None) -> M:
        return self._send("GET", path, answer, params=params)

    def _send(self, method: str, path: str, answer: type[M], **kw: Any) -> M:
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
            if response.is_success:
                return _read(answer, response, f"{method} {path}")
            try:
                body = response.json()
            except ValueError:
                body = {}
            message = body.get("error") if isinstance(body, dict) else None
            raise PushError(
                f"{method} {path} failed: HTTP {response.status_code}: {message or response.reason_phrase}",
                status=response.status_code,
            )
        raise AssertionError("unreachable")


def gzip_json(request: BaseModel) -> bytes:
    """A request model as the gzip JSON body the server reads."""
    return gzip_body(request.model_dump_json().encode())


def _read(answer: type[M], response: httpx.Response, what: str) -> M:
    try:
        return answer.model_validate_json(response.content)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise PushError(
            f"{what}: the server's answer is not a protocol v{PROTOCOL_VERSION} {answer.__name__} ({problems})",
            status=response.status_code,
        ) from None
