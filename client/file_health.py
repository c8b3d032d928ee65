"""What a log file's last parse skipped and repaired, and what of it was already reported.

A line that is not JSON is skipped and reported; a character that is not valid
Unicode is repaired to U+FFFD (:mod:`client.sources.decoding`) and counted.
Agents append to their logs, so the same file is parsed again on many pushes:
the parse cache (:mod:`client.state`) keeps, per file, the last parse's
problems and repair counts *and* what a push already told the user, so each
skipped line and each repair is reported once, whether the file was parsed by
this push, by an earlier ``verify``, or comes from the cache. ``status`` shows
the totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from client.model import ParseProblem

ProblemKey = tuple[int | None, str]  # (line or None for the whole file, reason)
REPAIR_KINDS = ("invalid_utf8", "lone_surrogates")


@dataclass(frozen=True)
class FileHealth:
    problems: tuple[ProblemKey, ...] = ()  # of the last parse
    reported: frozenset[ProblemKey] = frozenset()
    repairs: dict[str, int] = field(default_factory=dict)  # of the last parse, by kind
    repairs_reported: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of_parse(
        cls, problems: list[ParseProblem], repairs: dict[str, int], earlier: FileHealth | None
    ) -> FileHealth:
        """A fresh parse's health, keeping what was reported of the file before."""
        return cls(
            tuple((p.line, p.reason) for p in problems if not p.transient),  # (those are not the file's)
            earlier.reported if earlier else frozenset(),
            {k: n for k, n in repairs.items() if n},
            earlier.repairs_reported if earlier else {},
        )

    def unreported_problems(self, path: str) -> list[ParseProblem]:
        return [
            ParseProblem(path, line, reason)
            for line, reason in self.problems
            if (line, reason) not in self.reported
        ]

    def unreported_repairs(self) -> dict[str, int]:
        """Repairs beyond those already reported (a grown log repeats its old ones)."""
        out = {k: self.repairs.get(k, 0) - self.repairs_reported.get(k, 0) for k in REPAIR_KINDS}
        return {k: n for k, n in out.items() if n > 0}

    @property
    def all_reported(self) -> bool:
        return not self.unreported_repairs() and all(k in self.reported for k in self.problems)

    def reported_now(self) -> FileHealth:
        return replace(self, reported=frozenset(self.problems), repairs_reported=dict(self.repairs))

    def to_json(self) -> dict[str, Any]:
        return {
            "problems": [list(k) for k in self.problems],
            "reported": sorted([list(k) for k in self.reported], key=lambda k: (k[0] or 0, k[1])),
            "repairs": self.repairs,
            "repairs_reported": self.repairs_reported,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileHealth:
        return cls(
            tuple((line, reason) for line, reason in data.get("problems", ())),
            frozenset((line, reason) for line, reason in data.get("reported", ())),
            dict(data.get("repairs", {})),
            dict(data.get("repairs_reported", {})),
        )
