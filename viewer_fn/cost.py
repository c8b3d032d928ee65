"""Cost in dollars: usage rows (queries_cost.py) priced (pricing.py) and summed per dimension.

Each row is one (session, local day, model, prompt class, price time) group; every request
in it pays the same rates, so its cost is exact. Sums are Decimal until the answer, which
rounds to a millionth of a dollar. A model without a price never counts as $0: its tokens
are reported (``unpriced``, ``unpriced_messages``) and a figure made only of such usage is
``null``.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg

from viewer_fn import queries_cost
from viewer_fn.pricing import SOURCE, PriceTable, Rates

TOKENS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
TOP_SESSIONS = 20


@dataclass(slots=True)
class Tally:
    usd: Decimal = Decimal(0)
    messages: int = 0
    unpriced_messages: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0

    @classmethod
    def of(cls, row: dict[str, Any], *, priced: bool) -> Tally:
        """One usage row, its dollars still 0 (an unpriced row's messages are counted as such)."""
        messages = int(row["messages"])
        return cls(
            Decimal(0),
            messages,
            0 if priced else messages,
            int(row["input_tokens"]),
            int(row["output_tokens"]),
            int(row["cache_creation_tokens"]),
            int(row["cache_read_tokens"]),
        )

    def add(self, o: Tally) -> None:
        self.usd += o.usd
        self.messages += o.messages
        self.unpriced_messages += o.unpriced_messages
        self.input_tokens += o.input_tokens
        self.output_tokens += o.output_tokens
        self.cache_creation_tokens += o.cache_creation_tokens
        self.cache_read_tokens += o.cache_read_tokens

    @property
    def tokens(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in TOKENS}

    def figure(self) -> dict[str, Any]:
        all_unpriced = self.messages > 0 and self.unpriced_messages == self.messages
        usd = None if all_unpriced else float(round(self.usd, 6))
        return {
            "usd": usd,
            "messages": self.messages,
            "unpriced_messages": self.unpriced_messages,
            **self.tokens,
        }


def prices(table: PriceTable) -> dict[str, Any]:
    """Which table priced the answer, for the page to show (PriceTableInfo)."""
    return {"source": SOURCE, "version": table.version, "as_of": table.as_of()}


def usage(
    conn: psycopg.Connection, table: PriceTable, roots: list[int], *, tz: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The session tree under ``roots`` (queries_cost.session_tree) and its usage rows, grouped
    by the price time each model needs (per 15 minutes for a model priced by time of day)."""
    tree = queries_cost.session_tree(conn, roots)
    by_slot = [m for m in queries_cost.models_used(tree) if table.by_time_of_day(m)]
    return tree, queries_cost.usage_rows(conn, tree, tz=tz, by_slot=by_slot)


class Pricer:
    """Prices usage rows; the rates of each (model, prompt class, price time) are looked up once
    per answer (a year has ~sessions x models rows but few such keys)."""

    def __init__(self, table: PriceTable) -> None:
        self._table = table
        self._rates: dict[tuple[str, int, Any], Rates | None] = {}

    def __call__(self, row: dict[str, Any]) -> Tally:
        return Tally(*self.sums(row))

    def sums(self, row: dict[str, Any]) -> list[Any]:
        """The row as a Tally's fields in order (dollars first), as a list to add into."""
        key = (row["model"], int(row["prompt_class"]), row["price_time"])
        try:
            rates = self._rates[key]
        except KeyError:
            rates = self._rates[key] = self._table.rates(*key)
        messages, input, output = int(row["messages"]), int(row["input_tokens"]), int(row["output_tokens"])
        cache_write, cache_read = int(row["cache_creation_tokens"]), int(row["cache_read_tokens"])
        if rates is None:
            return [Decimal(0), messages, messages, input, output, cache_write, cache_read]
        usd = rates.cost(
            messages=messages, input=input, cache_write=cache_write, cache_read=cache_read, output=output
        )
        return [usd, messages, 0, input, output, cache_write, cache_read]


def _add(into: dict[Any, list[Any]], key: Any, sums: list[Any]) -> None:
    """Add ``sums`` (a Tally's fields in order) into ``into[key]``."""
    acc = into.get(key)
    if acc is None:
        into[key] = sums.copy()
        return
    # Unrolled: this runs ~4 times per usage row.
    acc[0] += sums[0]
    acc[1] += sums[1]
    acc[2] += sums[2]
    acc[3] += sums[3]
    acc[4] += sums[4]
    acc[5] += sums[5]
    acc[6] += sums[6]


def summarize(
    table: PriceTable,
    rows: list[dict[str, Any]],
    *,
    root_of: dict[int, int],
    sessions: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    """Totals and breakdowns; ``root_of`` maps each session to the root it is counted under,
    ``sessions`` holds the roots (id, project, machine, first_message)."""
    # Each row is added twice (per model and day, per root), then those sums once per dimension.
    # A year holds ~sessions x models rows and this loop was most of the route's time (110 ms at
    # 1 M messages), so it adds plain lists of the Tally's fields; Tallies are made of the few sums.
    model_days: dict[tuple[str, date | None], list[Any]] = {}
    per_root: dict[int, list[Any]] = {}
    price = Pricer(table)
    for row in rows:
        sums = price.sums(row)
        _add(model_days, (row["model"], row["day"]), sums)
        _add(per_root, root_of[row["session_pk"]], sums)
    totals: list[Any] = [Decimal(0), 0, 0, 0, 0, 0, 0]
    models: dict[str, list[Any]] = {}
    days: dict[date | None, list[Any]] = {}
    for (model, day), sums in model_days.items():
        _add(models, model, sums)
        _add(days, day, sums)
        _add({0: totals}, 0, sums)
    projects: dict[str, list[Any]] = {}
    machines: dict[str, list[Any]] = {}
    for pk, sums in per_root.items():
        _add(projects, sessions[pk]["project"], sums)
        _add(machines, sessions[pk]["machine"], sums)
    top = heapq.nsmallest(TOP_SESSIONS, per_root.items(), key=lambda kv: (-kv[1][0], sessions[kv[0]]["id"]))
    return {
        "totals": Tally(*totals).figure(),
        **_per_model(_tallies(models)),
        "by_day": [
            {"date": d, **Tally(*t).figure()}
            for d, t in sorted(days.items(), key=lambda kv: (kv[0] is None, kv[0] or date.min))
        ],
        "by_project": _named(_tallies(projects)),
        "by_machine": _named(_tallies(machines)),
        "top_sessions": [
            {
                "id": sessions[pk]["id"],
                "project": sessions[pk]["project"],
                "first_message": sessions[pk]["first_message"],
                **Tally(*t).figure(),
            }
            for pk, t in top
        ],
    }


def _tallies(sums: dict[Any, list[Any]]) -> dict[Any, Tally]:
    return {k: Tally(*v) for k, v in sums.items()}


def session_summary(
    table: PriceTable, rows: list[dict[str, Any]], *, pk: int, counted: int
) -> dict[str, Any]:
    """One session's cost: ``total`` over the rows of the session and its children, ``own`` over
    its rows alone; ``counted`` is how many children the rows cover."""
    total, own = Tally(), Tally()
    models: dict[str, Tally] = defaultdict(Tally)
    price = Pricer(table)
    for row in rows:
        usage = price(row)
        total.add(usage)
        models[row["model"]].add(usage)
        if row["session_pk"] == pk:
            own.add(usage)
    return {"total": total.figure(), "own": own.figure(), "children": counted, **_per_model(models)}


def _per_model(models: dict[str, Tally]) -> dict[str, Any]:
    """``by_model`` (most dollars first) and ``unpriced`` (models with usage but no price)."""
    priced = {m: t.unpriced_messages < t.messages for m, t in models.items()}
    return {
        "by_model": [
            {"model": m, "priced": priced[m], **t.figure()}
            for m, t in sorted(models.items(), key=lambda kv: (-kv[1].usd, kv[0]))
        ],
        "unpriced": [
            {"model": m, "messages": t.unpriced_messages, **t.tokens}
            for m, t in sorted(models.items())
            if not priced[m]
        ],
    }


def _named(tallies: dict[str, Tally]) -> list[dict[str, Any]]:
    return [{"name": n, **t.figure()} for n, t in sorted(tallies.items(), key=lambda kv: (-kv[1].usd, kv[0]))]
