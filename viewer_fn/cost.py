"""Cost in dollars: usage rows (queries_cost.py) priced (pricing.py) and summed per dimension.

Each row is one (session, local day, model, prompt class, price time) group; every request
in it pays the same rates, so its cost is exact. Sums are Decimal until the answer, which
rounds to a millionth of a dollar. A model without a price never counts as $0: its tokens
are reported (``unpriced``, ``unpriced_messages``) and a figure made only of such usage is
``null``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg

from viewer_fn import queries_cost
from viewer_fn.pricing import SOURCE, PriceTable

TOKENS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
TOP_SESSIONS = 20


@dataclass
class Tally:
    usd: Decimal = Decimal(0)
    messages: int = 0
    unpriced_messages: int = 0
    tokens: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TOKENS, 0))

    def add(self, row: dict[str, Any], cost: Decimal | None) -> None:
        self.messages += int(row["messages"])
        for k in TOKENS:
            self.tokens[k] += int(row[k])
        if cost is None:
            self.unpriced_messages += int(row["messages"])
        else:
            self.usd += cost

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
    by_slot = [m for m in queries_cost.models_used(conn, [t["pk"] for t in tree]) if table.by_time_of_day(m)]
    return tree, queries_cost.usage_rows(conn, tree, tz=tz, by_slot=by_slot)


def price_row(table: PriceTable, row: dict[str, Any]) -> Decimal | None:
    rates = table.rates(row["model"], int(row["prompt_class"]), row["price_time"])
    if rates is None:
        return None
    return rates.cost(
        messages=int(row["messages"]),
        input=int(row["input_tokens"]),
        cache_write=int(row["cache_creation_tokens"]),
        cache_read=int(row["cache_read_tokens"]),
        output=int(row["output_tokens"]),
    )


def summarize(
    table: PriceTable,
    rows: list[dict[str, Any]],
    *,
    root_of: dict[int, int],
    sessions: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    """Totals and breakdowns; ``root_of`` maps each session to the root it is counted under,
    ``sessions`` holds the roots (id, project, machine, first_message)."""
    totals = Tally()
    models: dict[str, Tally] = defaultdict(Tally)
    days: dict[date | None, Tally] = defaultdict(Tally)
    projects: dict[str, Tally] = defaultdict(Tally)
    machines: dict[str, Tally] = defaultdict(Tally)
    roots: dict[int, Tally] = defaultdict(Tally)
    for row in rows:
        cost = price_row(table, row)
        root = sessions[root_of[row["session_pk"]]]
        for tally in (
            totals,
            models[row["model"]],
            days[row["day"]],
            projects[root["project"]],
            machines[root["machine"]],
            roots[root["pk"]],
        ):
            tally.add(row, cost)
    ranked = sorted(roots.items(), key=lambda kv: (-kv[1].usd, sessions[kv[0]]["id"]))
    return {
        "totals": totals.figure(),
        **_per_model(models),
        "by_day": [
            {"date": d, **t.figure()}
            for d, t in sorted(days.items(), key=lambda kv: (kv[0] is None, kv[0] or date.min))
        ],
        "by_project": _named(projects),
        "by_machine": _named(machines),
        "top_sessions": [
            {
                "id": sessions[pk]["id"],
                "project": sessions[pk]["project"],
                "first_message": sessions[pk]["first_message"],
                **t.figure(),
            }
            for pk, t in ranked[:TOP_SESSIONS]
        ],
    }


def session_summary(
    table: PriceTable, rows: list[dict[str, Any]], *, pk: int, counted: int
) -> dict[str, Any]:
    """One session's cost: ``total`` over the rows of the session and its children, ``own`` over
    its rows alone; ``counted`` is how many children the rows cover."""
    total, own = Tally(), Tally()
    models: dict[str, Tally] = defaultdict(Tally)
    for row in rows:
        cost = price_row(table, row)
        total.add(row, cost)
        models[row["model"]].add(row, cost)
        if row["session_pk"] == pk:
            own.add(row, cost)
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
