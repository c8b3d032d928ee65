"""gunzip_capped: every gzip member, a cap that holds across members, whatever the trailer claims."""

from __future__ import annotations

import gzip
import os

import pytest

from avcore.web import BadRequest, PayloadTooLarge
from avprotocol.limits import MAX_GZIP_MEMBERS
from client.compression import gzip_body
from ingest_fn.body import gunzip_capped


def test_a_single_member_inflates_exactly() -> None:
    raw = os.urandom(50_000).hex().encode() * 3
    assert gunzip_capped(gzip_body(raw), len(raw)) == raw


def test_every_member_is_inflated_in_order() -> None:
    # The last member's trailer is what the size hint reads: here it is far smaller than the first.
    first, second = b'{"protocol": 1, "sessions": [' + b" " * 300_000, b"]}"
    assert gunzip_capped(gzip.compress(first) + gzip.compress(second), 1 << 20) == first + second
    # ... and far larger.
    assert gunzip_capped(gzip.compress(second) + gzip.compress(first), 1 << 20) == second + first


def test_the_cap_holds_across_members() -> None:
    member = gzip.compress(b"x" * 600)
    assert len(gunzip_capped(member + member, 1200)) == 1200
    with pytest.raises(PayloadTooLarge, match="limit of 1199 bytes"):
        gunzip_capped(member + member, 1199)


def test_a_trailer_that_lies_about_the_size_is_refused_not_trusted() -> None:
    body = gzip.compress(b"y" * 100_000)
    for claimed in (10, 2**32 - 1):
        with pytest.raises(BadRequest, match="not valid gzip"):
            gunzip_capped(body[:-4] + claimed.to_bytes(4, "little"), 1 << 20)
    # Within the cap or not, a lie never lets more than the cap through.
    with pytest.raises(PayloadTooLarge):
        gunzip_capped(body[:-4] + (10).to_bytes(4, "little"), 50_000)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (gzip.compress(b"{}") + b"trailing", "data after the end of its gzip stream"),
        (gzip.compress(b"{}" * 1000)[:-9], "truncated"),
        (b"{}", "not valid gzip"),
    ],
)
def test_malformed_bodies_are_named(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        gunzip_capped(body, 1 << 20)


def test_the_number_of_members_is_bounded() -> None:
    # Empty members inflate to nothing, so the size cap alone would never stop them.
    empty = gzip.compress(b"", mtime=0)
    assert gunzip_capped(gzip.compress(b"{}") + empty * (MAX_GZIP_MEMBERS - 1), 100) == b"{}"
    with pytest.raises(BadRequest, match=f"more than {MAX_GZIP_MEMBERS} members"):
        gunzip_capped(empty * 100_000, 1 << 20)
