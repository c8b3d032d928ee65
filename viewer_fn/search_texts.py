"""Which texts a search looks at, by their own time and kind (``role``, ``date_from``/``date_to``).

The session filters (project, machine, ...) choose sessions (``viewer_fn.filters``); these choose
texts inside them, as SQL on an indexed chunk ``d`` or on a text not indexed yet (a message ``m``
or a tool output of it). docs/design-search.md, "Finding the newest matches".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

TEXT_KINDS = ("user", "assistant", "system", "tool")  # a message's role, or "tool": a tool's output
# The kinds of indexed texts asked for: tool outputs by their call index, messages by their role.
INDEXED_TOOL = "{c}.call_index >= 0"
INDEXED_MESSAGE = """{c}.call_index < 0 AND EXISTS (SELECT 1 FROM messages m WHERE m.session_pk = {c}.session_pk
                                                AND m.ordinal = {c}.ordinal AND m.role = ANY(%(text_roles)s))"""


@dataclass(frozen=True)
class TextFilter:
    """Which texts count, by their own time and kind (the session filters apply to sessions)."""

    kinds: frozenset[str] | None = None  # among TEXT_KINDS; None: every text
    since: datetime | None = None  # the text's time is at or after this
    before: datetime | None = None  # and before this

    @property
    def roles(self) -> list[str]:
        return sorted((self.kinds or frozenset()) - {"tool"})

    def indexed_sql(self, c: str) -> list[str]:
        """Conditions on a chunk's row ``c`` (``since`` is applied by the probes' time bounds)."""
        parts = [f"{c}.ts < %(text_before)s"] if self.before is not None else []
        if self.kinds is not None:
            kinds = ([INDEXED_TOOL] if "tool" in self.kinds else []) + (
                [INDEXED_MESSAGE] if self.roles else []
            )
            parts.append("((" + ") OR (".join(k.format(c=c) for k in kinds) + "))")
        return parts

    def pending_sql(self, *, tool: bool) -> str:
        """Conditions on a text not indexed yet: message ``m`` itself, or a tool output of it."""
        parts = [" AND m.ts >= %(text_since)s"] if self.since is not None else []
        if self.before is not None:
            parts.append(" AND m.ts < %(text_before)s")
        if self.kinds is not None:
            if tool:
                parts.append("" if "tool" in self.kinds else " AND FALSE")
            else:
                parts.append(" AND m.role = ANY(%(text_roles)s)" if self.roles else " AND FALSE")
        return "".join(parts)
