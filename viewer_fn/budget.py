"""How big a viewer answer may be, and how a page stays under it.

Lambda answers at most 6 MB (API Gateway's payload, headers and all, base64 for a
binary or compressed body), so no viewer answer exceeds :data:`RESPONSE_LIMIT_BYTES`
(5 MB): a page's rows take at most :data:`ROWS_BUDGET_BYTES` of JSON, counted
exactly by serializing each row, and a page ends early -- with a ``next`` -- when
the next row would not fit. A text longer than :data:`BLOCK_CHARS` (a message, a
tool input or output, a string inside the structured blocks) is cut in a page,
with its full size; the rest comes from the ranged text route, at most
:data:`TEXT_RANGE_MAX_CHARS` a request (≤ 6 JSON bytes a character, so ≤ 3 MB).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

RESPONSE_LIMIT_BYTES = 5_000_000
ROWS_BUDGET_BYTES = 4_000_000  # the envelope (links, totals) takes far less than the rest
BLOCK_CHARS = 65_536  # characters of one text a message page carries; "show all" fetches the rest
TEXT_RANGE_MAX_CHARS = 524_288


def json_size(model: BaseModel) -> int:
    """Bytes of ``model`` as the route will send it (compact JSON, by alias)."""
    return len(model.__pydantic_serializer__.to_json(model, by_alias=True))


def fitting(rows: Sequence[BaseModel], budget: int | None = None) -> int:
    """How many of ``rows``, from the first, fit in ``budget`` bytes (default ROWS_BUDGET_BYTES) --
    at least one, so a page always moves forward (a row that alone exceeds the budget must be made
    smaller by its route)."""
    budget = ROWS_BUDGET_BYTES if budget is None else budget
    used = 0
    for n, row in enumerate(rows):
        used += json_size(row) + 1  # the separating comma
        if used > budget and n > 0:
            return n
    return len(rows)
