"""HMAC-signed, URL-safe tokens for login cookies and list cursors.

``sign(purpose, payload)`` binds a purpose into the MAC, so a cursor can never be
replayed as a cookie or the other way round. Tampering, truncation and expiry
are all one error: :class:`BadSignature`. A signer signs with its first key and
accepts any of its keys, so a key rotation logs nobody out: tokens signed with the
previous key stay valid until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import orjson


class BadSignature(ValueError):
    """The token was forged, altered, expired or is not a token at all."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(secret: str) -> bytes:
    return hashlib.sha256(("av-cloud signing key\0" + secret).encode()).digest()


class Signer:
    def __init__(self, secret: str, *previous: str) -> None:
        self._keys = [_derive(s) for s in (secret, *previous)]

    def _mac(self, purpose: str, body: str, key: bytes | None = None) -> str:
        digest = hmac.new(key or self._keys[0], f"{purpose}\0{body}".encode(), hashlib.sha256).digest()
        return _b64(digest)

    def sign(self, purpose: str, payload: dict[str, Any], *, ttl_s: int | None = None) -> str:
        data = dict(payload)
        if ttl_s is not None:
            data["exp"] = int(time.time()) + ttl_s
        body = _b64(orjson.dumps(data))
        return f"{body}.{self._mac(purpose, body)}"

    def unsign(self, purpose: str, token: str) -> dict[str, Any]:
        body, _, mac = token.partition(".")
        if (
            not body
            or not mac
            or not any(hmac.compare_digest(mac, self._mac(purpose, body, k)) for k in self._keys)
        ):
            raise BadSignature(f"invalid {purpose}")
        try:
            data = orjson.loads(_unb64(body))
        except (ValueError, orjson.JSONDecodeError):
            raise BadSignature(f"invalid {purpose}") from None
        if not isinstance(data, dict):
            raise BadSignature(f"invalid {purpose}")
        if "exp" in data and int(data["exp"]) < time.time():
            raise BadSignature(f"expired {purpose}")
        return data
