"""``web_bench.py --timeline``: where a deep link's network time goes, request by request.

Read from the page's Resource Timing entries at the paint (no tracer, so nothing is slowed):
for each request the paint waited for, the median over the runs of when the page asked for it
(``startTime``), when the browser sent it (``requestStart``: after any new connection, its TCP
and TLS handshakes included), when the first byte and the last byte came back
(``responseStart``, ``responseEnd``), and in how many runs it opened a connection of its own
(``connectEnd > connectStart``) and how long that took. Among them, when the page reached each of
its User Timing marks (``av:boot``, ``av:data``, ``av:app``, ..., web/src/lib/marks.ts). All in ms
from navigation start. Read at the paint: what comes after it (the login check's ``av:auth``, the
list's requests) shows only in the runs where it had come by then, as the ``runs`` column says.
"""

from __future__ import annotations

import re
import statistics
from typing import Any

# Runs in the page: the entries the timeline reads, each with a short name.
ENTRIES = """() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
  .map((e) => ({ name: e.name.replace(location.origin, ''), asked: e.startTime, sent: e.requestStart,
                 first: e.responseStart, last: e.responseEnd, connect: e.connectEnd - e.connectStart,
                 tls: e.secureConnectionStart > 0 ? e.connectEnd - e.secureConnectionStart : 0 }))
  .concat(performance.getEntriesByType('mark').filter((m) => m.name.startsWith('av:'))
    .map((m) => ({ name: m.name, asked: m.startTime, sent: m.startTime, first: m.startTime, last: m.startTime,
                   connect: 0, tls: 0 })))"""
HASH = re.compile(r"-[A-Za-z0-9_-]{8}\.(js|css|svg)$")


def short(name: str) -> str:
    """``/static/app-C5xIg_0y.js`` -> ``static/app.js``; API paths lose their query and session id."""
    if name.startswith("av:"):
        return name
    path = name.split("#")[0].split("?")[0].lstrip("/")
    if not path:
        return "index.html"
    path = HASH.sub(r".\1", path)
    return re.sub(r"sessions/[^/]+", "sessions/{id}", path)


def table(label: str, runs: list[list[dict[str, Any]]], painted: list[float]) -> str:
    """A Markdown table of the median timeline of ``runs`` (each run's entries at its paint)."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for entries in runs:
        for e in entries:
            by_name.setdefault(short(e["name"]), []).append(e)
    rows = sorted(by_name.items(), key=lambda kv: statistics.median(e["asked"] for e in kv[1]))
    lines = [
        f"{label}: painted at {statistics.median(painted):.0f} ms (median of {len(runs)})",
        "",
        "| request | runs | asked | sent | first byte | last byte | new connection (runs, ms, of it TLS) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, entries in rows:

        def med(key: str, entries: list[dict[str, Any]] = entries) -> str:
            return f"{statistics.median(e[key] for e in entries):.0f}"

        opened = [e for e in entries if e["connect"] > 0]
        conn = "—"
        if opened:
            conn = (
                f"{len(opened)}, {statistics.median(e['connect'] for e in opened):.0f}, "
                f"{statistics.median(e['tls'] for e in opened):.0f}"
            )
        lines.append(
            f"| {name} | {len(entries)} | {med('asked')} | {med('sent')} | {med('first')} | {med('last')} | {conn} |"
        )
    return "\n".join(lines)
