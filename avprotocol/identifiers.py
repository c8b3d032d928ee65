"""What an identifier (a session id, a parent's id) may be, checked the same way on both sides.

Identifiers name rows and appear in URLs, logs and file names: one that is empty, longer than
``MAX_ID_CHARS`` or holds a control character (NUL above all: PostgreSQL text cannot store it)
is refused for its own item, naming the field, and never stops the others.
"""

from __future__ import annotations

import re

from avprotocol.limits import MAX_ID_CHARS

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def identifier_problem(value: str) -> str | None:
    """Why ``value`` cannot be an identifier, or None if it can."""
    if not value:
        return "is empty"
    if len(value) > MAX_ID_CHARS:
        return f"is longer than {MAX_ID_CHARS} characters ({len(value)})"
    control = _CONTROL.search(value)
    if control is not None:
        return f"contains the control character U+{ord(control.group()):04X} at position {control.start()}"
    return None
