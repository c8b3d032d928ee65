"""Text cut to a limit, with the marker that says how much was dropped (both sides).

The client cuts over-long text before it seals a session (so its fingerprint covers
what the server will store); the server cuts whatever a client did not. For the two to
agree, a cut text must never be cut again: :func:`cut` keeps the marker *within* the
limit, so ``cut(cut(t, n), n) == cut(t, n)``. And the server must still know that, and
how much, a client cut (the viewer shows "truncated: only the first part of N characters
was stored"): :func:`original_length` reads it back from the marker.
"""

from __future__ import annotations

import re

from avprotocol.limits import TRUNCATION_MARKER

_MARKER_END = TRUNCATION_MARKER.format(dropped=0).rsplit("0", 1)[1]  # " more characters]"
_MARKER = re.compile(re.escape(TRUNCATION_MARKER).replace(r"\{dropped\}", r"([0-9]{1,12})") + r"\Z")


def cut(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its start and the marker, ``limit`` in all."""
    if len(text) <= limit:
        return text
    # The marker's length depends on the count it shows; the count can only be smaller than
    # len(text), so a marker sized for len(text) leaves enough room for the real one.
    room = max(0, limit - len(TRUNCATION_MARKER.format(dropped=len(text))))
    return text[:room] + TRUNCATION_MARKER.format(dropped=len(text) - room)


def original_length(text: str) -> int:
    """How long ``text`` was before :func:`cut` (its own length when it carries no marker)."""
    if not text.endswith(_MARKER_END):
        return len(text)
    match = _MARKER.search(text, max(0, len(text) - 80))
    return len(text) if match is None else match.start() + int(match.group(1))
