"""Query-parameter parsing shared by every route: one place, one error style.

FastAPI's own validation answers in English but not always with the allowed values,
so routes take raw strings and parse them here. Every failure is a
:class:`~avcore.web.BadRequest` whose message starts with the parameter's name and
says what is allowed, e.g. ``date_from: '2026-13-01' is not a date; use YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from avcore.web import BadRequest, NotFound

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
MAX_LIST_ITEMS = 100  # a comma list longer than this is a mistake, not a filter


def csv(name: str, value: str | None) -> list[str] | None:
    """A comma list (``a,b``) as a list without blanks; None when absent or empty."""
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    if len(items) > MAX_LIST_ITEMS:
        raise BadRequest(f"{name}: at most {MAX_LIST_ITEMS} comma-separated values")
    return items or None


def flag(name: str, value: str | None) -> bool:
    if value is None:
        return False
    text = value.strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise BadRequest(f"{name}: {value!r} is not a boolean; use true or false")


def integer(
    name: str, value: str | None, *, default: int | None = None, lo: int | None = None, hi: int | None = None
) -> int | None:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"{name}: {value!r} is not an integer") from None
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        bounds = (
            f"between {lo} and {hi}"
            if lo is not None and hi is not None
            else (f"at least {lo}" if lo is not None else f"at most {hi}")
        )
        raise BadRequest(f"{name}: must be {bounds} (got {number})")
    return number


def day(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name}: {value!r} is not a date; use YYYY-MM-DD") from None


def instant(name: str, value: str | None) -> datetime | None:
    """An RFC 3339 timestamp; a naive one is taken as UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            f"{name}: {value!r} is not a timestamp; use RFC 3339, e.g. 2026-11-01T10:00:00Z"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def zone(name: str, value: str | None) -> str:
    """An IANA timezone name (default UTC), checked against the tz database."""
    if not value:
        return "UTC"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(
            f"{name}: {value!r} is not an IANA timezone; use a name like Europe/Berlin or UTC"
        ) from None
    return value


def choice(name: str, value: str | None, allowed: tuple[str, ...], default: str) -> str:
    if value is None or value == "":
        return default
    if value not in allowed:
        raise BadRequest(f"{name}: {value!r} is not allowed; use one of {', '.join(allowed)}")
    return value


def session_key(sid: str) -> tuple[str, str]:
    """``<machine>:<session id>`` split in two; anything else cannot name a session."""
    machine, sep, session_id = sid.partition(":")
    if not sep or not machine or not session_id:
        raise NotFound(f"no session with id {sid!r} (ids look like '<machine>:<session id>')")
    return machine, session_id


def drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
