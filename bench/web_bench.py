"""Web viewer benchmark: what a person waits for, in headless Chromium against the real apps.

    .venv/bin/python bench/web_bench.py                 # 2,000 sessions + one of 5,000 messages, 15 runs
    .venv/bin/python bench/web_bench.py --sessions 10000 --runs 30
    .venv/bin/python bench/web_bench.py --against /tmp/main-tree   # this build vs another, alternating
    .venv/bin/python bench/web_bench.py --trace /tmp/deep.json     # + where a deep link's time goes

Starts its own throwaway cluster (tests/pg.py), pushes sessions through the real ingest app,
and serves the real viewer app with the built page (make web) in its own process, started as
the local stack starts it (bench/web_servers.py: Granian, TLS from the local CA, HTTP/2). Each
view is measured for a returning user (login cookie and localStorage kept), in a fresh browser
context, in two cases:

- **cold cache** (``first list``, ``deep link``): an empty HTTP cache and no open connection,
  as after clearing the cache or in a new browser profile: every file of the page is fetched;
- **warm cache** (``deep link, warm``): the same deep link loaded once before in the same
  context (so the browser holds the immutable hashed files, and its connection to the server is
  still open), then opened again in a new tab: ``index.html`` is revalidated (``no-cache``, a
  304), the code files come from the HTTP cache, only the API answers travel. This is how
  someone usually opens a deep link or reloads.

- **first list**: from navigation start to the first session row painted;
- **deep link**: from navigation start to message 4,000 of a 5,000-message session painted at
  ``#/s/<id>/m/4000``;
- **bytes**: what the load used (all, and JavaScript alone: compressed bodies, from the cache
  or not) and what came over the network (``transferSize``: 0 for a cached file, headers only
  for a 304).

The browser is set up around the page, not in its way. Chromium builds its omnibox popup, a
WebUI page in a renderer of its own, for every new window (each tab here is one): in traces of a
deep link it kept that renderer's main thread busy 300-400 ms and its workers ~500 ms, beside
the page, on a machine of two cores (docs/web.md, "Session 8"). A person's browser window is
open before they open a link. So Chromium runs with the tests' arguments, which turn that popup
off (tests/viewer/browser.py), and each load opens its tab and waits ``--settle-ms`` (1,000 by
default) before it navigates, for whatever else a new window sets up. ``--omnibox-popup
--settle-ms 0`` measures as sessions 5-7 did. ``--latency-ms`` adds a delay to every request
(Chromium's network emulation): what a server farther away than localhost would cost.

Times are taken in the page (``performance.now()`` at the frame after the element is in the
viewport: in the DOM is not enough, a deep link's message must have been scrolled to), so
they include fetching the page, its scripts and the API calls, and exclude Playwright's
overhead. The baseline, measured in the same run and the same page, is the API calls alone that
each view needs (``fetch`` of the list page; of the session and its message page), taken once
the page's network has gone idle: the ratio says what the page adds on top of the API.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import web_servers, web_timeline, web_trace  # noqa: E402
from infra.credentials import add_device, add_viewer  # noqa: E402
from infra.local.ca import LocalCA  # noqa: E402
from tests.pg import create_database, prepare_template, start_server  # noqa: E402
from tests.viewer.browser import CHROMIUM, CHROMIUM_ARGS, NO_OMNIBOX_POPUP  # noqa: E402
from tests.viewer.browser_helpers import _msg, _session, huge_session, push_sessions  # noqa: E402

HUGE_ID = "bench:sess-huge"
# --omnibox-popup: the browser with the omnibox popup the tests turn off (tests/viewer/browser.py).
BROWSER_ARGS = [a for a in CHROMIUM_ARGS if a != NO_OMNIBOX_POPUP]
TARGET = 4000
# Runs before the page: resolves window.__paintedAt(selector) at the frame after an element
# matching it is in the viewport (an IntersectionObserver, so the probe forces no layout): in
# the DOM is not enough, a deep link's message must also have been scrolled to.
PROBE = """
window.__paintedAt = (selector) => new Promise((resolve) => {
  let watched = null;
  const seen = new IntersectionObserver((entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    seen.disconnect();
    added.disconnect();
    requestAnimationFrame(() => resolve(performance.now()));
  });
  const look = () => {
    const el = document.querySelector(selector);
    if (!el || el === watched) return;
    if (watched) seen.unobserve(watched);
    watched = el;
    seen.observe(el);
  };
  const added = new MutationObserver(look);
  added.observe(document, { childList: true, subtree: true });
  look();
});
"""
BYTES = """() => {
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  const sum = (list) => list.reduce((n, e) => n + (e.encodedBodySize || 0), 0);
  return {
    all: sum(entries), js: sum(entries.filter((e) => /\\.js($|\\?)/.test(e.name))), requests: entries.length,
    wire: entries.reduce((n, e) => n + (e.transferSize || 0), 0),
    protocol: (entries.find((e) => e.nextHopProtocol) || {}).nextHopProtocol || '',
  };
}"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered) + 0.5) - 1))]


def small_sessions(count: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    out = []
    for i in range(count):
        sid, t = f"s{i:06d}", now - timedelta(minutes=7 * i)
        msgs = [
            _msg(
                sid, j, "user" if j % 2 == 0 else "assistant", f"Session {i} message {j}: work on part {j}", t
            )
            for j in range(4 + i % 9)
        ]
        out.append(
            _session(
                sid, ["claude", "codex", "gemini"][i % 3], f"project-{i % 40}", msgs[0]["content"], t, msgs
            )
        )
    return out


def returning_user(browser: Any, state: dict[str, Any]) -> Any:
    """A browser context for a returning user: the login cookie and the page's localStorage (its
    signed-in hint); its own HTTP cache and connections, empty."""
    context = browser.new_context(
        ignore_https_errors=False, viewport={"width": 1280, "height": 800}, storage_state=state
    )
    context.add_init_script(PROBE)
    return context


@dataclass(frozen=True)
class Tab:
    """How each measured tab is opened."""

    settle_ms: int  # waited after opening it, before navigating: the browser's window set-up
    latency_ms: int  # added to every request (CDP network emulation): a server farther than localhost


def new_tab(context: Any, tab: Tab) -> tuple[Any, Any]:
    """A new tab of ``context`` and its CDP session, once the browser has set up the window
    around it, with ``tab.latency_ms`` added to its requests."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    if tab.latency_ms:
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": tab.latency_ms, "downloadThroughput": -1, "uploadThroughput": -1},
        )
    page.wait_for_timeout(tab.settle_ms)
    return page, cdp


def timed_load(context: Any, url: str, selector: str, api: list[str], tab: Tab) -> dict[str, Any]:
    """Open ``url`` in a new tab of ``context``: the time to ``selector``'s paint, the bytes, and
    the API calls alone from the same page once it settled. The tab is closed after."""
    page, cdp = new_tab(context, tab)
    # The renderer's main-thread time to the paint, in thread ticks (CPU time, not wall time):
    # unlike the wall clock, it barely moves with the machine's load, so an A/B of the page's own
    # work resolves on a busy machine where the p50s do not.
    cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
    page.goto(url)
    painted = page.evaluate("(s) => window.__paintedAt(s)", selector)
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    sizes = page.evaluate(BYTES)
    timeline = page.evaluate(web_timeline.ENTRIES)
    # Settled: what the view asks for after its first paint (a deep link's list, children, cost)
    # has been answered. Otherwise those requests, sent after the paint, still kept the one local
    # server busy during the baseline below and the next run, and a build that defers more work
    # past the paint was charged for it there.
    page.wait_for_load_state("networkidle")
    # The baseline: the same API calls, from the same page, after it settled.
    t_api = page.evaluate(
        """async (urls) => { const t = performance.now();
             await Promise.all(urls.map((u) => fetch(u, { cache: 'no-store' }).then((r) => r.json())));
             return performance.now() - t; }""",
        api,
    )
    page.close()
    cpu = {
        "cpu_ms": metrics.get("TaskDuration", 0.0) * 1000,
        "script_ms": metrics.get("ScriptDuration", 0.0) * 1000,
    }
    return {"ms": painted, "api_ms": t_api, "timeline": timeline, **cpu, **sizes}


def cold(
    browser: Any, state: dict[str, Any], url: str, selector: str, api: list[str], tab: Tab
) -> dict[str, Any]:
    """The view with an empty HTTP cache and no open connection (a fresh context)."""
    context = returning_user(browser, state)
    try:
        return timed_load(context, url, selector, api, tab)
    finally:
        context.close()


def warm(
    browser: Any, state: dict[str, Any], url: str, selector: str, api: list[str], tab: Tab
) -> dict[str, Any]:
    """The view opened again in a new tab after it was loaded once in the same context: the
    hashed files come from the HTTP cache, index.html is revalidated."""
    context = returning_user(browser, state)
    try:
        timed_load(context, url, selector, api, tab)
        return timed_load(context, url, selector, api, tab)
    finally:
        context.close()


def log_in(browser: Any, url: str, token: str) -> dict[str, Any]:
    login = browser.new_context(ignore_https_errors=False)
    page = login.new_page()
    page.goto(url)
    page.fill("#login-token", token)
    page.click("#login-submit")
    page.wait_for_selector("a[data-session-id]")
    state: dict[str, Any] = login.storage_state()
    login.close()
    return state


def trace_deep_link(browser: Any, state: dict[str, Any], url: str, selector: str, out: Path, tab: Tab) -> str:
    context = returning_user(browser, state)
    page, _ = new_tab(context, tab)
    browser.start_tracing(page=page, categories=web_trace.CATEGORIES)
    page.goto(url)
    painted = page.evaluate("(s) => window.__paintedAt(s)", selector)
    trace = browser.stop_tracing()
    context.close()
    out.write_bytes(trace)
    return web_trace.report(web_trace.breakdown(trace, painted))


def summary(name: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    ms = [r["ms"] for r in runs]
    api = [r["api_ms"] for r in runs]
    return {
        "what": name,
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(pct(ms, 0.95), 1),
        "api_p50_ms": round(statistics.median(api), 1),
        "cpu_p50_ms": round(statistics.median(r["cpu_ms"] for r in runs), 1),
        "script_p50_ms": round(statistics.median(r["script_ms"] for r in runs), 1),
        "page_over_api_p50": round(statistics.median(ms) / max(statistics.median(api), 0.1), 1),
        "bytes_kb": round(statistics.median(r["all"] for r in runs) / 1024, 1),
        "js_kb": round(statistics.median(r["js"] for r in runs) / 1024, 1),
        "requests": round(statistics.median(r["requests"] for r in runs)),
        "wire_kb": round(statistics.median(r["wire"] for r in runs) / 1024, 1),
        "protocol": "/".join(sorted({str(r["protocol"]) for r in runs})),
    }


def floor() -> str:
    """The machine's speed right now: a bare interpreter's start (``python -S -c pass``), whose
    time drifts ~1.5x between half hours on the shared machine even when idle."""
    times = []
    for _ in range(7):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-S", "-c", "pass"], check=True)
        times.append((time.perf_counter() - started) * 1000)
    return f"bare interpreter start {statistics.median(times):.1f} ms (median of 7)"


VIEWS = ("first list", "deep link", "deep link, warm")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--messages", type=int, default=5000, help="messages in the deep-linked session")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument(
        "--against",
        type=Path,
        help="another build, measured alternately in the same run: a source tree with its built "
        "viewer_fn/site (its own server and page), or a built page alone (this tree's server)",
    )
    ap.add_argument(
        "--timeline",
        action="store_true",
        help="print each deep link's requests: asked, sent, answered, new connections (bench/web_timeline.py)",
    )
    ap.add_argument(
        "--settle-ms",
        type=int,
        default=1000,
        help="wait this long after opening each tab before navigating (the browser's own window set-up)",
    )
    ap.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        help="add this much to every request (Chromium's network emulation): a server farther than localhost",
    )
    ap.add_argument(
        "--omnibox-popup",
        action="store_true",
        help="leave Chromium's omnibox popup on, as sessions 5-7 did (with --settle-ms 0: their method)",
    )
    ap.add_argument(
        "--trace", type=Path, help="write a Chromium trace of one deep link here, and its breakdown"
    )
    args = ap.parse_args()
    builds = [web_servers.Build("this build", web_servers.REPO)]
    if args.against:
        try:
            builds.append(web_servers.build_of("against", args.against))
        except ValueError as e:
            ap.error(f"--against: {e}")

    from playwright.sync_api import sync_playwright

    tab = Tab(settle_ms=args.settle_ms, latency_ms=args.latency_ms)

    print(
        f"load average before: {os.getloadavg()[0]:.2f}; {floor()}; each tab settled {tab.settle_ms} ms, "
        f"{tab.latency_ms} ms added to each request, the omnibox popup {'on' if args.omnibox_popup else 'off'}",
        flush=True,
    )

    with start_server() as server, tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        prepare_template(server)
        db = create_database(server)
        with db.admin() as conn:
            device = add_device(conn, machine="bench")
            viewer = add_viewer(conn, name="bench")
        sessions = small_sessions(args.sessions)
        for start in range(0, len(sessions), 400):
            push_sessions(
                db.ingest_dsn, device.token, sessions[start : start + 400], f"bench-push-{start:06d}"
            )
        huge = huge_session(datetime.now(UTC), args.messages)
        push_sessions(db.ingest_dsn, device.token, [huge], "bench-push-huge")
        tls = Path(tmp) / "tls"
        urls = {
            b.name: servers.enter_context(web_servers.serve(b, db.viewer_dsn, tls, "s" * 40)) for b in builds
        }
        with sync_playwright() as pw:
            # The local CA trusted, as by someone who imported it (infra/local/demo.sh says how): a
            # certificate Chromium only lets through (ignore_https_errors, or a user accepting
            # the warning) makes it cache nothing, so there would be no warm cache to measure.
            trusted = f"--ignore-certificate-errors-spki-list={LocalCA(tls).server_spki_sha256()}"
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM),
                args=[*(BROWSER_ARGS if args.omnibox_popup else CHROMIUM_ARGS), trusted],
                headless=True,
            )
            # Each origin (port) has its own localStorage: log in on each.
            states = {name: log_in(browser, url, viewer.token) for name, url in urls.items()}
            sid = HUGE_ID.replace(":", "%3A")
            deep_sel = f'article.msg[data-ordinal="{TARGET}"]'
            deep_api = [f"api/v1/sessions/{sid}", f"api/v1/sessions/{sid}/messages?from={TARGET}&limit=200"]
            list_api = ["api/v1/sessions?limit=200&include_children=true"]
            runs: dict[tuple[str, str], list[dict[str, Any]]] = {
                (b.name, v): [] for b in builds for v in VIEWS
            }
            for run in range(args.runs + 1):  # the first run warms the servers, and is dropped
                order = list(urls.items())
                for name, url in order if run % 2 == 0 else order[::-1]:
                    deep_url, state = f"{url}#/s/{sid}/m/{TARGET}", states[name]
                    runs[name, "first list"].append(
                        cold(browser, state, url, "a[data-session-id]", list_api, tab)
                    )
                    runs[name, "deep link"].append(cold(browser, state, deep_url, deep_sel, deep_api, tab))
                    runs[name, "deep link, warm"].append(
                        warm(browser, state, deep_url, deep_sel, deep_api, tab)
                    )
            traced = ""
            if args.trace:
                first = builds[0].name
                deep_url = f"{urls[first]}#/s/{sid}/m/{TARGET}"
                traced = trace_deep_link(browser, states[first], deep_url, deep_sel, args.trace, tab)
            browser.close()
    what = {
        "first list": f"first list ({args.sessions:,} sessions)",
        "deep link": f"deep link to message {TARGET:,} of {args.messages:,}, cold cache",
        "deep link, warm": f"deep link to message {TARGET:,} of {args.messages:,}, warm cache",
    }
    results = []
    for view in VIEWS:
        for b in builds:
            label = "" if len(builds) == 1 else f" [{b.name}]"
            results.append(summary(f"{what[view]}{label}", runs[b.name, view][1:]))
    print(f"load average after: {os.getloadavg()[0]:.2f}; {floor()}")
    print(json.dumps(results, indent=2))
    print()
    print(
        "| what | p50 ms | p95 ms | main thread CPU p50 ms | of it script | API alone p50 ms | page ÷ API | KB loaded | of it JS "
        "| KB transferred | requests | protocol |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        print(
            f"| {r['what']} | {r['p50_ms']} | {r['p95_ms']} | {r['cpu_p50_ms']} | {r['script_p50_ms']} "
            f"| {r['api_p50_ms']} | {r['page_over_api_p50']} "
            f"| {r['bytes_kb']} | {r['js_kb']} | {r['wire_kb']} | {r['requests']} | {r['protocol']} |"
        )
    if args.timeline:
        for view in VIEWS[1:]:
            for b in builds:
                kept = runs[b.name, view][1:]
                print()
                label = f"{what[view]} [{b.name}]"
                print(web_timeline.table(label, [r["timeline"] for r in kept], [r["ms"] for r in kept]))
    if args.trace:
        print()
        print(traced)


if __name__ == "__main__":
    main()
