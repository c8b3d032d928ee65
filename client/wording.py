"""Counts in sentences people read: "1 session", "2 sessions" (never "1 sessions")."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it needs; ``plural`` for nouns not made with an ``s``."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
