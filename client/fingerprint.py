"""Canonical serialization, the per-message hash chain and the session fingerprint.

The canonical form is JSON with sorted keys and no whitespace (orjson
``OPT_SORT_KEYS``): unambiguous across field boundaries because JSON quotes and
escapes every string, and stable across runs and machines. Each message's chain
value is ``sha256(previous chain value || sha256(canonical message))``, so both
sides can find the first message that differs; the fingerprint covers the
session's metadata and the chain head, hence everything.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

GENESIS = "0" * 64
CHAIN_EXCLUDED = ("chain_hash",)
FINGERPRINT_EXCLUDED = ("fingerprint", "messages")


def canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def chain_step(previous: str, message: dict[str, Any]) -> str:
    body = {k: v for k, v in message.items() if k not in CHAIN_EXCLUDED}
    digest = hashlib.sha256(canonical(body)).hexdigest()
    return hashlib.sha256(f"{previous}{digest}".encode()).hexdigest()


def seal(session: dict[str, Any]) -> dict[str, Any]:
    """Fill ``chain_hash`` of every message and the session ``fingerprint`` in place."""
    previous = GENESIS
    for message in session["messages"]:
        previous = message["chain_hash"] = chain_step(previous, message)
    meta = {k: v for k, v in session.items() if k not in FINGERPRINT_EXCLUDED}
    session["fingerprint"] = hashlib.sha256(canonical(meta) + previous.encode()).hexdigest()
    return session
