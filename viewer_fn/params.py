"""Query-parameter types shared by every route: declared once, documented in OpenAPI.

Routes declare their parameters with these types, so FastAPI parses and validates
them and the OpenAPI document lists each one with its type, bounds and allowed
values. Failures become one 400 whose message starts with the parameter's name
(``avcore.web`` words pydantic's error kinds), e.g.
``date_from: '2026-13-01' is not a date; use YYYY-MM-DD``.

Lists take agentsview's comma form (``project=a,b``) and the repeated form
(``project=a&project=b``) alike; an empty value means "not given".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from avcore.web import NotFound
from avprotocol.limits import MAX_TIME_YEAR, MIN_TIME_YEAR
from viewer_fn.session_paths import unescape_sid

MAX_LIST_ITEMS = 100  # a comma list longer than this is a mistake, not a filter


def _invalid(message: str) -> PydanticCustomError:
    # The message is final (no placeholders): avcore.web prefixes the parameter's name.
    return PydanticCustomError("av_parameter", message.replace("{", "{{").replace("}", "}}"))


def _comma_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    raw = [value] if isinstance(value, str) else list(value)
    items = [item.strip() for text in raw for item in str(text).split(",") if item.strip()]
    if len(items) > MAX_LIST_ITEMS:
        raise _invalid(f"at most {MAX_LIST_ITEMS} comma-separated values")
    return items or None


# No stored time lies outside what ingest accepts (avprotocol.limits), and date arithmetic on the
# edges of Python's and PostgreSQL's ranges overflows: a day or instant outside it is a 400.
_OUT_OF_RANGE = f"must lie from {MIN_TIME_YEAR}-01-01 to {MAX_TIME_YEAR - 1}-12-31"


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise _invalid(f"{value!r} is not a date; use YYYY-MM-DD") from None
    if not MIN_TIME_YEAR <= day.year < MAX_TIME_YEAR:
        raise _invalid(_OUT_OF_RANGE)
    return day


def _instant(value: Any) -> datetime | None:
    """An RFC 3339 timestamp; a naive one is taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise _invalid(f"{value!r} is not a timestamp; use RFC 3339, e.g. 2026-11-01T10:00:00Z") from None
    if not MIN_TIME_YEAR <= parsed.year < MAX_TIME_YEAR:
        raise _invalid(_OUT_OF_RANGE)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _flag(value: Any) -> Any:
    """``include_x=`` (empty) reads as false, like an absent flag; the rest is pydantic's bool."""
    if isinstance(value, str) and value.strip() == "":
        return False
    return value


def _maybe_flag(value: Any) -> Any:
    """A filter that is true, false, or (absent or empty) not applied."""
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def _zone(value: str) -> str:
    """An IANA timezone name, checked against the tz database."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid(f"{value!r} is not an IANA timezone; use a name like Europe/Berlin or UTC") from None
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise _invalid("must not contain NUL characters")
    return value


CommaList = Annotated[list[str] | None, BeforeValidator(_comma_list)]
Day = Annotated[date | None, BeforeValidator(_day)]
Instant = Annotated[datetime | None, BeforeValidator(_instant)]
Flag = Annotated[bool, BeforeValidator(_flag)]
MaybeFlag = Annotated[bool | None, BeforeValidator(_maybe_flag)]
Zone = Annotated[str, AfterValidator(_zone)]
Text = Annotated[str, AfterValidator(_no_nul)]

SessionId = Annotated[
    str,
    AfterValidator(unescape_sid),
    Path(
        description="`<machine>:<session id>`, e.g. `laptop:0b7c…`: a session is keyed by the machine it came from. "
        'Write `%` as `%25` and `/` as `%2F` before percent-encoding it (docs/api.md, "Session ids in paths")',
        examples=["laptop:0b7c5f0e-2f4a-4c1e-9d1b-5a6e7f8a9b0c"],
    ),
]
Limit = Annotated[int, Query(ge=1, description="rows per page")]
Cursor = Annotated[
    str | None,
    Query(description="the opaque `next` token of the previous page; send the same other parameters"),
]


def session_key(sid: str) -> tuple[str, str]:
    """``<machine>:<session id>`` split in two; anything else cannot name a session."""
    machine, sep, session_id = sid.partition(":")
    if not sep or not machine or not session_id or "\x00" in sid:
        raise NotFound(f"no session with id {sid!r} (ids look like '<machine>:<session id>')")
    return machine, session_id
