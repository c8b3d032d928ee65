"""Credential tokens: recognisable, checksummed, stored only as hashes.

A token looks like ``avd_<32 base62 chars><6 base62 checksum chars>`` (``avd_``
for devices, ``avv_`` for viewers). The prefix and the CRC32 checksum let secret
scanners recognise a leaked token without a database lookup (GitHub's scheme);
the server stores SHA-256 of the whole token. A plain hash is enough because the
token carries 190 bits of randomness: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import zlib

ALPHABET = string.digits + string.ascii_letters
RANDOM_CHARS = 32
CHECKSUM_CHARS = 6
DEVICE_PREFIX = "avd_"
VIEWER_PREFIX = "avv_"
HINT_CHARS = 8


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(ALPHABET[rem])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECKSUM_CHARS)


def new_token(prefix: str) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    return f"{prefix}{body}{_checksum(body)}"


def well_formed(token: str, prefix: str) -> bool:
    """Shape and checksum only: lets us refuse junk without touching the database."""
    if not token.startswith(prefix) or len(token) != len(prefix) + RANDOM_CHARS + CHECKSUM_CHARS:
        return False
    body = token[len(prefix) : len(prefix) + RANDOM_CHARS]
    # The checksum part too: compare_digest raises TypeError on non-ASCII strings.
    if any(c not in ALPHABET for c in token[len(prefix) :]):
        return False
    return secrets.compare_digest(token[-CHECKSUM_CHARS:], _checksum(body))


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def token_hint(token: str) -> str:
    """What listings show: the prefix and a few characters, never enough to use."""
    return token[: len(DEVICE_PREFIX) + 4] + "…"
