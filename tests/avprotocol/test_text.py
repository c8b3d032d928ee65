"""Cutting text with the protocol's marker: within the limit, never twice, and reversible in length."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from avprotocol.limits import TRUNCATION_MARKER
from avprotocol.text import cut, original_length


def test_text_within_the_limit_is_kept_as_it_is() -> None:
    assert cut("abc", 3) == "abc" and original_length("abc") == 3


def test_a_cut_text_fits_the_limit_marker_included_and_says_how_much_was_dropped() -> None:
    text = "0123456789" * 100
    out = cut(text, 200)
    assert len(out) <= 200
    kept = out.index("\n[…")
    assert out == text[:kept] + TRUNCATION_MARKER.format(dropped=len(text) - kept)
    assert original_length(out) == len(text)


@given(st.text(min_size=0, max_size=400), st.integers(min_value=60, max_value=300))
def test_cutting_is_idempotent_and_the_original_length_is_read_back(text: str, limit: int) -> None:
    once = cut(text, limit)
    assert cut(once, limit) == once
    assert len(once) <= max(limit, len(text) if len(text) <= limit else 0)
    assert original_length(once) == len(text) or text.endswith(" more characters]")


def test_a_marker_lookalike_inside_the_text_is_not_read_as_one() -> None:
    text = TRUNCATION_MARKER.format(dropped=99) + " and then more"
    assert original_length(text) == len(text)
