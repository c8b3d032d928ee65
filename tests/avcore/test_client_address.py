"""Who is calling, for rate limits: never what the client wrote, unless a local proxy vouches for it."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from avcore.web import client_address


def _request(peer: str, forwarded: str | None, *, lambda_event: bool) -> Request:
    scope = {
        "type": "http",
        "client": (peer, 0),
        "headers": [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())],
    }
    if lambda_event:
        scope["aws.event"] = {}
    return Request(scope)


@pytest.mark.parametrize(
    ("peer", "forwarded", "lambda_event", "expected"),
    [
        ("203.0.113.66", "198.51.100.7, 203.0.113.66", True, "203.0.113.66"),  # API Gateway: sourceIp only
        ("10.0.0.5", "198.51.100.7", True, "10.0.0.5"),  # even a private sourceIp
        ("127.0.0.1", "198.51.100.7, 127.0.0.1", False, "198.51.100.7"),  # uvicorn behind a local proxy
        ("8.8.8.8", "198.51.100.7", False, "8.8.8.8"),  # a public peer is the caller
        ("127.0.0.1", None, False, "127.0.0.1"),
    ],
)
def test_client_address(peer: str, forwarded: str | None, lambda_event: bool, expected: str) -> None:
    assert client_address(_request(peer, forwarded, lambda_event=lambda_event)) == expected
