"""Parsed sessions → protocol v1 JSON (see docs/protocol.md), sealed with hashes."""

from __future__ import annotations

import dataclasses
from typing import Any

from client.fingerprint import seal
from client.model import Session


def _clean(text: str) -> str:
    # Lone surrogates (from broken UTF-16 in logs) cannot be encoded as UTF-8 JSON.
    return text.encode("utf-8", "replace").decode("utf-8")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    return value


def session_to_wire(session: Session) -> dict[str, Any]:
    data = dataclasses.asdict(session)
    for message in data["messages"]:
        if message["usage"] is None:
            del message["usage"]
    return seal(_scrub(data))
