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


def echoed(value: object) -> str:
    """An identifier as an answer names it: as sent, but NUL (which PostgreSQL cannot store, and
    answers are stored for replay) as U+FFFD; a value that is not a string as an empty one."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else ""


def check_identifier(value: str | None) -> str | None:
    """A pydantic validator: ``value`` if it can be an identifier (None passes), else ValueError."""
    if value is not None:
        problem = identifier_problem(value)
        if problem is not None:
            raise ValueError(problem)
    return value
