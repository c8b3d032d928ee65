"""Where a page load's milliseconds go, from one Chromium performance trace (web_bench.py --trace).

The trace is Chromium's own (``browser.start_tracing``, the events DevTools' Performance panel
reads). From it, up to the moment the measured element painted:

- the **requests**: when each started and finished, relative to navigation start;
- the **renderer's main thread**: its time by kind (script compile, script run, style and
  layout, paint, garbage collection, HTML parsing), counted once each (a nested event's time is
  taken from its parent), and the idle gaps, which are waits on the network;
- the **other processes' busiest threads** (the browser's, other renderers'): on a machine of
  two cores, they compete with the page for the CPU. This is how the browser's own omnibox
  popup, a WebUI page Chromium builds for every new window, was found running beside the page
  (web_bench.py settles each new tab before navigating).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "v8",
    "v8.execute",
    "blink.user_timing",
    "loading",
    "netlog",
    "disabled-by-default-v8.cpu_profiler",
]
KINDS = {
    "script compile": {
        "v8.compile",
        "v8.compileModule",
        "V8.CompileCode",
        "v8.produceModuleCache",
        "CompileScript",
        "v8.parseOnBackground",
    },
    "script run": {
        "EvaluateScript",
        "v8.evaluateModule",
        "FunctionCall",
        "TimerFire",
        "FireAnimationFrame",
        "RunMicrotasks",
        "v8.run",
        "EventDispatch",
        "V8.Execute",
        "v8.callFunction",
        "XHRLoad",
        "HandlePostMessage",
    },
    "garbage collection": {
        "MinorGC",
        "MajorGC",
        "V8.GCScavenger",
        "V8.GCIncrementalMarking",
        "V8.GCFinalizeMC",
        "BlinkGC.AtomicPhase",
        "ThreadState::performIdleLazySweep",
    },
    "style and layout": {
        "UpdateLayoutTree",
        "Layout",
        "RecalculateStyles",
        "ParseAuthorStyleSheet",
        "ScheduleStyleRecalculation",
        "InvalidateLayout",
        "IntersectionObserverController::computeIntersections",
        "ResizeObserverController::DeliverObservations",
        "UpdateLayer",
    },
    "paint": {
        "Paint",
        "PrePaint",
        "Layerize",
        "PaintImage",
        "CompositeLayers",
        "Commit",
        "UpdateLayerTree",
        "RasterTask",
    },
    "HTML parsing": {"ParseHTML"},
}
KIND_OF = {name: kind for kind, names in KINDS.items() for name in names}


@dataclass
class Breakdown:
    until_ms: float
    busy_ms: dict[str, float]
    idle_ms: float
    requests: list[tuple[float, float, str]]  # start, end (ms from navigation start), url
    functions: list[tuple[float, str]]  # JavaScript self time (ms, sampled) by function, largest first
    others: list[tuple[float, str]]  # other processes' threads: busy ms, "process / thread", busiest first


def _page_navigation(events: list[dict[str, Any]]) -> tuple[int, int, float]:
    """The (pid, tid, ts) of the page's navigation start: the one whose document is the http(s)
    page (the browser's own WebUI renderers navigate too)."""
    navigations = [e for e in events if e.get("name") == "navigationStart"]
    for e in navigations:
        url = e.get("args", {}).get("data", {}).get("documentLoaderURL", "")
        if url.startswith("http"):
            return int(e["pid"]), int(e["tid"]), float(e["ts"])
    # Chromium may leave documentLoaderURL empty when the navigation swaps renderer processes:
    # the navigation starts in one renderer (about:blank), the browser commits the page's URL to
    # its frame, and the page's scripts run in another. The origin is then the navigationStart of
    # the committed frame; the main thread, the renderer thread running the page's scripts.
    committed = {
        e.get("args", {}).get("data", {}).get("frame")
        for e in events
        if e.get("name") == "FrameCommittedInBrowser"
        and str(e.get("args", {}).get("data", {}).get("url", "")).startswith("http")
    }
    origins = [float(e["ts"]) for e in navigations if e.get("args", {}).get("frame") in committed]
    scripts = [
        e
        for e in events
        if e.get("name") == "FunctionCall"
        and str(e.get("args", {}).get("data", {}).get("url", "")).startswith("http")
    ]
    if origins and scripts:
        first = min(scripts, key=lambda e: float(e["ts"]))
        return int(first["pid"]), int(first["tid"]), min(origins)
    raise ValueError("the trace has no navigationStart of an http(s) page")


def breakdown(trace: bytes, painted_ms: float) -> Breakdown:
    """Sums the main thread's time by kind from navigation start to ``painted_ms`` after it."""
    events: list[dict[str, Any]] = json.loads(trace)["traceEvents"]
    pid, tid, origin = _page_navigation(events)
    until = origin + painted_ms * 1000
    spans = sorted(
        (
            e
            for e in events
            if e.get("pid") == pid and e.get("tid") == tid and e.get("ph") == "X" and "dur" in e
        ),
        key=lambda e: (e["ts"], -e["dur"]),
    )
    busy: dict[str, float] = defaultdict(float)
    # Each instant counts once, for the innermost event of a known kind that covers it: walk the
    # nesting with a stack, giving a parent's time to a child while the child runs.
    stack: list[tuple[float, str]] = []  # (end, kind)
    covered_until = origin
    busy_total = 0.0
    for e in spans:
        start, end = max(e["ts"], origin), min(e["ts"] + e["dur"], until)
        if end <= start:
            continue
        while stack and stack[-1][0] <= start:
            stack.pop()
        kind = KIND_OF.get(e["name"], stack[-1][1] if stack else "other")
        if stack:
            busy[stack[-1][1]] -= end - start
        busy[kind] += end - start
        stack.append((end, kind))
        if end > covered_until:
            busy_total += end - max(start, covered_until)
            covered_until = end
    requests = _requests(events, origin, until)
    functions = _functions(events, pid, tid, origin, until)
    others = _other_threads(events, pid, origin, until)
    return Breakdown(
        until_ms=painted_ms,
        busy_ms={k: round(v / 1000, 1) for k, v in sorted(busy.items(), key=lambda kv: -kv[1]) if v > 0},
        idle_ms=round(painted_ms - busy_total / 1000, 1),
        requests=requests,
        functions=functions,
        others=others,
    )


def _functions(
    events: list[dict[str, Any]], pid: int, tid: int, origin: float, until: float
) -> list[tuple[float, str]]:
    """The V8 sampling profiler's self time per function (file:line name), from ``origin`` to
    ``until``: which code the "script run" time is."""
    frames: dict[int, str] = {}
    self_us: dict[str, float] = defaultdict(float)
    clock: float | None = None
    for e in events:
        if e.get("pid") != pid:
            continue
        data = e.get("args", {}).get("data", {})
        if e.get("name") == "Profile" and e.get("tid") == tid:
            clock = float(data.get("startTime", e["ts"]))
        if e.get("name") != "ProfileChunk" or clock is None:
            continue
        profile = data.get("cpuProfile", {})
        for node in profile.get("nodes", []):
            frame = node.get("callFrame", {})
            where = frame.get("url", "").rsplit("/", 1)[-1]
            frames[node["id"]] = (
                f"{frame.get('functionName') or '(anonymous)'} {where}:{frame.get('lineNumber', 0) + 1}"
            )
        for sample, delta in zip(profile.get("samples", []), data.get("timeDeltas", []), strict=False):
            clock += delta
            if origin <= clock <= until:
                self_us[frames.get(sample, "?")] += delta
    ranked = sorted(self_us.items(), key=lambda kv: -kv[1])
    return [(round(us / 1000, 1), name) for name, us in ranked if not name.startswith("(idle)")][:15]


def _other_threads(
    events: list[dict[str, Any]], page_pid: int, origin: float, until: float
) -> list[tuple[float, str]]:
    """Each thread of the other processes: the time its trace events cover (overlaps counted once)
    from ``origin`` to ``until``, the five busiest of at least 5 ms."""
    process: dict[int, str] = {}
    thread: dict[tuple[int, int], str] = {}
    spans: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            process[e["pid"]] = e["args"]["name"]
        elif e.get("ph") == "M" and e.get("name") == "thread_name":
            thread[(e["pid"], e["tid"])] = e["args"]["name"]
        elif e.get("ph") == "X" and "dur" in e and e.get("pid") != page_pid:
            start, end = max(e["ts"], origin), min(e["ts"] + e["dur"], until)
            if end > start:
                spans[(e["pid"], e["tid"])].append((start, end))
    busy = []
    for key, intervals in spans.items():
        total, reach = 0.0, origin
        for start, end in sorted(intervals):
            if end > reach:
                total += end - max(start, reach)
                reach = end
        if total >= 5000:
            busy.append(
                (round(total / 1000, 1), f"{process.get(key[0], key[0])} / {thread.get(key, key[1])}")
            )
    return sorted(busy, reverse=True)[:5]


def _requests(events: list[dict[str, Any]], origin: float, until: float) -> list[tuple[float, float, str]]:
    sent: dict[str, tuple[float, str]] = {}
    # Only the page's own requests (not the browser's chrome:// resources).
    done: dict[str, float] = {}
    for e in events:
        data = e.get("args", {}).get("data", {})
        if e.get("name") == "ResourceSendRequest" and "requestId" in data:
            sent.setdefault(data["requestId"], (e["ts"], data.get("url", "")))
        elif e.get("name") == "ResourceFinish" and "requestId" in data:
            done[data["requestId"]] = e["ts"]
    out = []
    for rid, (ts, url) in sent.items():
        if origin <= ts <= until and url.startswith("http"):
            end = done.get(rid, until)
            out.append((round((ts - origin) / 1000, 1), round((end - origin) / 1000, 1), url))
    return sorted(out)


def report(b: Breakdown) -> str:
    lines = [f"Painted at {b.until_ms:.1f} ms. Main thread until then:", ""]
    lines += ["| main thread | ms |", "| --- | ---: |"]
    lines += [f"| {kind} | {ms} |" for kind, ms in b.busy_ms.items()]
    lines += [
        f"| idle (waiting) | {b.idle_ms} |",
        "",
        "| request | start ms | end ms |",
        "| --- | ---: | ---: |",
    ]
    for start, end, url in b.requests:
        short = url.split("://", 1)[-1].split("/", 1)[-1]
        lines.append(f"| {short[:90]} | {start} | {end} |")
    lines += ["", "| JavaScript, self time (sampled) | ms |", "| --- | ---: |"]
    lines += [f"| {name} | {ms} |" for ms, name in b.functions]
    lines += ["", "| other processes' busiest threads | ms |", "| --- | ---: |"]
    lines += [f"| {name} | {ms} |" for ms, name in b.others]
    return "\n".join(lines)
