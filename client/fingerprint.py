"""Canonical serialization, the per-message hash chain and the session fingerprint.

The canonical form is JSON with sorted keys and no whitespace (orjson
``OPT_SORT_KEYS``): unambiguous across field boundaries because JSON quotes and
escapes every string, and stable across runs and machines. Each message's chain
value is ``sha256(previous chain value || sha256(canonical message))``, so both
sides can find the first message that differs; the fingerprint covers the
session's metadata and the chain head, hence everything.

Checkpoints (``[ordinal, chain_hash]`` pairs sent to ``/v1/plan``) sample the
chain at the last message and then ``n-2, n-4, n-8, …`` and ``0``: an append
finds its base at the last message, and an edit deep inside a long session
still finds one nearby, in O(log n) pairs (at most 64 for any real session).
Fields that are not part of what the server holds (``base``, ``complete``) are
never hashed.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from avprotocol.limits import MAX_CHECKPOINTS

GENESIS = "0" * 64
CHAIN_EXCLUDED = frozenset({"chain_hash"})
FINGERPRINT_EXCLUDED = frozenset({"fingerprint", "messages", "base", "complete"})


def canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def chain_step(previous: str, message: dict[str, Any]) -> str:
    body = {k: v for k, v in message.items() if k not in CHAIN_EXCLUDED}
    digest = hashlib.sha256(canonical(body)).hexdigest()
    return hashlib.sha256(f"{previous}{digest}".encode()).hexdigest()


def session_fingerprint(session: dict[str, Any], head: str) -> str:
    meta = {k: v for k, v in session.items() if k not in FINGERPRINT_EXCLUDED}
    return hashlib.sha256(canonical(meta) + head.encode()).hexdigest()


def seal(session: dict[str, Any]) -> dict[str, Any]:
    """Fill ``chain_hash`` of every message and the session ``fingerprint`` in place."""
    previous = GENESIS
    for message in session["messages"]:
        previous = message["chain_hash"] = chain_step(previous, message)
    session["fingerprint"] = session_fingerprint(session, previous)
    return session


def checkpoint_ordinals(count: int) -> list[int]:
    """``count-1``, then ``count-2, count-4, count-8, …`` and ``0``, descending, no repeats."""
    if count <= 0:
        return []
    out = [count - 1]
    step = 2
    while count - step > 0 and len(out) < MAX_CHECKPOINTS - 1:
        out.append(count - step)
        step *= 2
    if out[-1] != 0:
        out.append(0)
    return out


def checkpoints(session: dict[str, Any]) -> list[list[Any]]:
    messages = session["messages"]
    return [[o, messages[o]["chain_hash"]] for o in checkpoint_ordinals(len(messages))]
