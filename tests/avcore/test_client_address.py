"""Who is calling, for rate limits: never what a client wrote, unless a configured proxy added it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from starlette.requests import Request

from avcore.settings import IngestSettings
from avcore.web import address_key, client_address


def _request(peer: str, forwarded: str | None, *, lambda_event: bool = False, trusted: str = "") -> Request:
    settings = IngestSettings(database_url="postgresql://x@localhost/x", trusted_proxies=trusted)
    scope = {
        "type": "http",
        "client": (peer, 0),
        "headers": [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())],
        "app": SimpleNamespace(state=SimpleNamespace(settings=settings)),
    }
    if lambda_event:
        scope["aws.event"] = {}
    return Request(scope)


@pytest.mark.parametrize(
    ("peer", "forwarded", "lambda_event", "trusted", "expected"),
    [
        (
            "203.0.113.66",
            "198.51.100.7, 203.0.113.66",
            True,
            "",
            "203.0.113.66",
        ),  # API Gateway: sourceIp only
        ("10.0.0.5", "198.51.100.7", True, "10.0.0.0/8", "10.0.0.5"),  # even with proxies configured
        ("127.0.0.1", "198.51.100.7, 127.0.0.1", False, "", "127.0.0.1"),  # nothing trusted by default
        ("10.0.0.1", "198.51.100.7", False, "", "10.0.0.1"),  # not even a private peer
        ("127.0.0.1", "198.51.100.7", False, "127.0.0.1", "198.51.100.7"),  # a configured proxy vouches
        # The client wrote the first hop; the proxy appended what it saw: the last untrusted hop wins.
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", False, "127.0.0.1", "198.51.100.7"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3", False, "127.0.0.1, 10.0.0.0/8", "198.51.100.7"),
        ("127.0.0.1", "x" * 2800, False, "127.0.0.1", "127.0.0.1"),  # garbage: the proxy itself
        ("8.8.8.8", "198.51.100.7", False, "127.0.0.1", "8.8.8.8"),  # an untrusted peer's header is ignored
        ("2001:db8::1", None, False, "", "2001:db8::/64"),  # IPv6: one key per /64
        ("::ffff:198.51.100.7", None, False, "", "198.51.100.7"),
    ],
)
def test_client_address(
    peer: str, forwarded: str | None, lambda_event: bool, trusted: str, expected: str
) -> None:
    assert client_address(_request(peer, forwarded, lambda_event=lambda_event, trusted=trusted)) == expected


def test_keys_are_bounded_whatever_the_peer() -> None:
    assert len(address_key("y" * 5000)) == 64 and address_key("") == "unknown"


def test_a_bad_trusted_proxy_setting_is_named() -> None:
    with pytest.raises(ValueError, match="AV_TRUSTED_PROXIES: 'not-an-ip'"):
        IngestSettings(database_url="postgresql://x@localhost/x", trusted_proxies="10.0.0.0/8, not-an-ip")
