"""PostgreSQL access for the functions: the TLS policy and a tiny connection pool."""

from __future__ import annotations

from typing import Any


def scalar(row: tuple[Any, ...] | None) -> Any:
    """The first column of a row an aggregate query always returns (``count(*)``, ``EXPLAIN``)."""
    if row is None:
        raise RuntimeError("the query returned no row where one is always expected")
    return row[0]
