"""Dollar prices of token usage, from the price table genai-prices ships (never fetched).

genai-prices (pinned in viewer_fn/requirements.txt) bundles its table as Python data;
it fetches a newer one only when an ``UpdatePrices`` is started, which av-cloud never
does, so pricing reads the bundled table and opens no connection (a test proves it,
with every socket refused). The package is imported on first use, not at cold start.

Messages are priced as genai-prices defines it: a request's prompt is its input plus
its cache writes and reads (our ``input_tokens`` counts only the uncached input, as
Anthropic reports it; every source stores usage that way), cache reads and writes have
their own prices, and a tiered price applies to *all* of a request's tokens once its
prompt passes a threshold. Sums of tokens cannot be priced directly when a tier
depends on each request's size, so usage is grouped by prompt class (migration 0006:
how many of :data:`PROMPT_THRESHOLDS` the prompt passes) and by time where a price
changes with it; within one group every request pays the same rates, so its cost is
linear in its token sums. :meth:`PriceTable.rates` finds those rates by pricing a few
probe requests of the group's class with genai-prices itself, so its rules (which
units are priced, what a cache read costs where none is listed, per-request fees)
are applied, never re-implemented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

PROMPT_THRESHOLDS = (32_000, 100_000, 128_000, 199_999, 200_000, 256_000, 272_000, 512_000, 524_288)
SOURCE = "genai-prices"
# "checked 2026-10-19", "as of 2026-11-03": the dates the table's maintainers note in its comments.
CHECKED = re.compile(r"(?:checked|as of|verified|updated)(?: on)? (\d{4}-\d{2}-\d{2})", re.IGNORECASE)


def class_prompt(prompt_class: int) -> int:
    """A prompt size (tokens) inside ``prompt_class``: on the same side of every threshold as
    every request of that class (class k passes exactly the k smallest thresholds)."""
    return 1 if prompt_class == 0 else PROMPT_THRESHOLDS[prompt_class - 1] + 1


@dataclass(frozen=True)
class Rates:
    """Dollars per request and per token of each kind, for requests of one prompt class."""

    per_request: Decimal
    input: Decimal  # uncached input
    cache_write: Decimal
    cache_read: Decimal
    output: Decimal

    def cost(self, *, messages: int, input: int, cache_write: int, cache_read: int, output: int) -> Decimal:
        return (
            self.per_request * messages
            + self.input * input
            + self.cache_write * cache_write
            + self.cache_read * cache_read
            + self.output * output
        )


class PriceTable:
    """genai-prices' bundled table, with the lookups cost needs cached per container."""

    def __init__(self) -> None:
        import genai_prices
        from genai_prices import data_snapshot, types

        self._calc = genai_prices.calc_price
        self._usage = genai_prices.Usage
        self._types = types
        self._snapshot = data_snapshot.get_snapshot()
        self.version: str = genai_prices.__version__
        self._rates: dict[tuple[str, int, Any], Rates | None] = {}
        self._as_of: tuple[date | None] | None = None

    def model(self, model: str) -> Any | None:
        """genai-prices' ModelInfo for a model name (its own matching rules), or None."""
        if not model:
            return None
        try:
            return self._snapshot.find_provider_model(model, None, None, None)[1]
        except LookupError:
            return None

    def by_time_of_day(self, model: str) -> bool:
        """Whether the model's price changes within a day (a TimeOfDateConstraint): it is then
        priced per 15-minute slot, not per UTC day."""
        info = self.model(model)
        if info is None or not isinstance(info.prices, list):
            return False
        return any(isinstance(c.constraint, self._types.TimeOfDateConstraint) for c in info.prices)

    def rates(self, model: str, prompt_class: int, at: datetime | None) -> Rates | None:
        """The rates of ``model`` for requests of ``prompt_class`` made at ``at`` (None: now);
        None when the table has no price for the model."""
        info = self.model(model)
        if info is None:
            return None
        prices = info.get_prices(at or datetime.now(UTC))
        key = (model, prompt_class, id(prices))
        if key not in self._rates:
            self._rates[key] = self._probe(model, prompt_class, at)
        return self._rates[key]

    def _probe(self, model: str, prompt_class: int, at: datetime | None) -> Rates | None:
        size = class_prompt(prompt_class)

        def price(**usage: int) -> Decimal:
            result = self._calc(self._usage(**usage), model, genai_request_timestamp=at)
            return Decimal(result.total_price)

        try:
            fee = price()
            uncached = price(input_tokens=size) - fee
            return Rates(
                per_request=fee,
                input=uncached / size,
                cache_write=(price(input_tokens=size, cache_write_tokens=size) - fee) / size,
                cache_read=(price(input_tokens=size, cache_read_tokens=size) - fee) / size,
                output=(price(input_tokens=size, output_tokens=size) - fee - uncached) / size,
            )
        except (LookupError, ValueError):  # no price for this model, or none it can apply
            return None

    def as_of(self) -> date | None:
        """The newest date the table's maintainers recorded checking a price (its comments)."""
        if self._as_of is None:
            self._as_of = (self._newest_check(),)
        return self._as_of[0]

    def _newest_check(self) -> date | None:
        found = [
            date.fromisoformat(d)
            for provider in self._snapshot.providers
            for text in [provider.price_comments or ""] + [m.price_comments or "" for m in provider.models]
            for d in CHECKED.findall(text)
        ]
        return max(found, default=None)


@cache
def price_table() -> PriceTable:
    """One table per container: importing genai-prices and its data costs ~0.2 s, paid on the
    first cost request, not at cold start."""
    return PriceTable()
