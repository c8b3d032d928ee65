"""Credential tokens: shape, checksum, hash and hint."""

from __future__ import annotations

import hashlib
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avcore import tokens
from avcore.tokens import (
    ALPHABET,
    CHECKSUM_CHARS,
    DEVICE_PREFIX,
    RANDOM_CHARS,
    VIEWER_PREFIX,
    new_token,
    token_hash,
    token_hint,
    well_formed,
)

PREFIXES = [DEVICE_PREFIX, VIEWER_PREFIX]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_new_tokens_are_well_formed_and_distinct(prefix: str) -> None:
    made = {new_token(prefix) for _ in range(200)}
    assert len(made) == 200
    for tok in made:
        assert tok.startswith(prefix)
        assert len(tok) == len(prefix) + RANDOM_CHARS + CHECKSUM_CHARS
        assert all(c in ALPHABET for c in tok[len(prefix) :])
        assert well_formed(tok, prefix)


def test_the_checksum_is_crc32_of_the_random_part_in_base62() -> None:
    tok = new_token(DEVICE_PREFIX)
    body = tok[len(DEVICE_PREFIX) : len(DEVICE_PREFIX) + RANDOM_CHARS]
    crc = zlib.crc32(body.encode())
    digits = [ALPHABET.index(c) for c in tok[-CHECKSUM_CHARS:]]
    value = 0
    for d in digits:
        value = value * 62 + d
    assert value == crc


@given(data=st.data())
def test_any_single_changed_character_fails_the_check(data: st.DataObject) -> None:
    prefix = data.draw(st.sampled_from(PREFIXES))
    tok = new_token(prefix)
    pos = data.draw(st.integers(min_value=len(prefix), max_value=len(tok) - 1))
    # Draw a shift, not a character: what is drawn must not depend on the random token,
    # or hypothesis sees a different strategy on each replay.
    shift = data.draw(st.integers(min_value=1, max_value=len(ALPHABET) - 1))
    replacement = ALPHABET[(ALPHABET.index(tok[pos]) + shift) % len(ALPHABET)]
    flipped = tok[:pos] + replacement + tok[pos + 1 :]
    # CRC32 detects every single-character substitution in the body; a changed
    # checksum character obviously no longer matches.
    assert not well_formed(flipped, prefix)


def test_a_wrong_or_swapped_prefix_fails() -> None:
    device = new_token(DEVICE_PREFIX)
    assert not well_formed(device, VIEWER_PREFIX)
    assert not well_formed(VIEWER_PREFIX + device[len(DEVICE_PREFIX) :], DEVICE_PREFIX)
    assert not well_formed("xyz_" + device[len(DEVICE_PREFIX) :], DEVICE_PREFIX)
    assert not well_formed(device[len(DEVICE_PREFIX) :], DEVICE_PREFIX)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],  # too short
        lambda t: t + "a",  # too long
        lambda t: "",
        lambda t: t[:10] + "-" + t[11:],  # not base62 in the body
        lambda t: t[:-1] + "_",  # not base62 in the checksum
        lambda t: t[:-6] + "ééééé1",  # non-ASCII in the checksum: must be False, not TypeError
        lambda t: t[:8] + "é" + t[9:],  # non-ASCII in the body
        lambda t: t.upper(),
        lambda t: " " + t[:-1],
    ],
)
def test_junk_is_refused_without_raising(mangle) -> None:
    tok = new_token(DEVICE_PREFIX)
    assert well_formed(tok, DEVICE_PREFIX)
    assert well_formed(mangle(tok), DEVICE_PREFIX) is False


@given(st.text(max_size=60))
def test_well_formed_never_raises(text: str) -> None:
    assert well_formed(text, DEVICE_PREFIX) in (True, False)
    assert well_formed(DEVICE_PREFIX + text, DEVICE_PREFIX) in (True, False)


def test_hash_is_stable_sha256_of_the_whole_token() -> None:
    tok = new_token(DEVICE_PREFIX)
    assert token_hash(tok) == token_hash(str(tok))
    assert token_hash(tok) == hashlib.sha256(tok.encode()).digest()
    assert len(token_hash(tok)) == 32
    assert token_hash(tok) != token_hash(new_token(DEVICE_PREFIX))
    # the prefix is part of what is hashed
    assert token_hash(tok) != token_hash(VIEWER_PREFIX + tok[len(DEVICE_PREFIX) :])


@pytest.mark.parametrize("prefix", PREFIXES)
def test_hint_shows_the_prefix_and_at_most_eight_random_characters(prefix: str) -> None:
    for _ in range(50):
        tok = new_token(prefix)
        hint = token_hint(tok)
        assert hint.startswith(prefix)
        shown = hint[len(prefix) :].rstrip("…")
        assert 1 <= len(shown) <= tokens.HINT_CHARS
        assert tok[len(prefix) :].startswith(shown)
        # never the checksum, never enough to pass well_formed
        assert not well_formed(hint, prefix)
        assert len(hint) < len(tok) // 2
