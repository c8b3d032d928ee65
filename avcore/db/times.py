"""Stored times Python cannot hold read as None, never as an error (issue 11).

PostgreSQL keeps times from 4713 BC to 294276 AD; Python's ``datetime`` from year 1 to 9999.
Before ingest refused times outside 1970-2099, a message time such as
``9999-12-31T23:59:59-01:00`` was stored as year 10000 and psycopg raised ``DataError`` on
every read of it: the session's pages, its export and any search page holding it answered 500.
Migration 0011 nulls those stored then; these loaders make sure that no such value, however it
got there, fails a read: it reads as None, what a missing time reads as.

Each loader wraps the one psycopg would use (the C one with psycopg[binary]), so a valid time
costs one more Python call.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import psycopg
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Loader
from psycopg.pq import Format

TIME_TYPES = ("timestamptz", "timestamp", "date")


@cache
def _tolerant(base: type[Loader]) -> type[Loader]:
    class Tolerant(Loader):
        format = base.format

        def __init__(self, oid: int, context: AdaptContext | None = None) -> None:
            super().__init__(oid, context)
            self._inner = base(oid, context)

        def load(self, data: Buffer) -> Any:
            try:
                return self._inner.load(data)
            except psycopg.DataError:  # after 9999, or BC
                return None

    Tolerant.__name__ = Tolerant.__qualname__ = f"Tolerant{base.__name__}"
    return Tolerant


def read_times_safely(conn: psycopg.Connection) -> None:
    """Register, on ``conn`` only, time loaders that read an out-of-range time as None."""
    adapters = conn.adapters
    for name in TIME_TYPES:
        info = adapters.types.get(name)
        if info is None:
            continue
        for fmt in (Format.TEXT, Format.BINARY):
            base = adapters.get_loader(info.oid, fmt)
            if base is not None and not base.__name__.startswith("Tolerant"):
                adapters.register_loader(info.oid, _tolerant(base))
