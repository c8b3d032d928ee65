"""Search snippets with the match marked, safe to insert as HTML.

The database cuts a window around the first occurrence of the query's longest
piece (so megabyte texts never cross the wire); here every occurrence of a query
piece inside the window is wrapped in ``<mark>`` and everything else is
HTML-escaped, segment by segment. Nothing from a message is ever emitted unescaped.
"""

from __future__ import annotations

import html
import re

MAX_MARKS = 20


def mark(window: str, pieces: list[str], *, clipped_start: bool, clipped_end: bool) -> str:
    text = " ".join(window.split())  # newlines and runs of spaces read badly in one line
    out: list[str] = []
    if pieces:
        pattern = re.compile("|".join(re.escape(p) for p in pieces if p), re.IGNORECASE)
        last = marks = 0
        for m in pattern.finditer(text):
            if marks >= MAX_MARKS:
                break
            out.append(html.escape(text[last : m.start()]))
            out.append(f"<mark>{html.escape(m.group(0))}</mark>")
            last, marks = m.end(), marks + 1
        out.append(html.escape(text[last:]))
    else:
        out.append(html.escape(text))
    return ("…" if clipped_start else "") + "".join(out) + ("…" if clipped_end else "")
