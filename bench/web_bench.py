"""Web viewer benchmark: what a person waits for, in headless Chromium against the real apps.

    .venv/bin/python bench/web_bench.py                 # 2,000 sessions + one of 5,000 messages, 15 runs
    .venv/bin/python bench/web_bench.py --sessions 10000 --runs 30
    .venv/bin/python bench/web_bench.py --against /tmp/site-main   # this build vs another, alternating
    .venv/bin/python bench/web_bench.py --trace /tmp/deep.json     # + where a deep link's time goes

Starts its own throwaway cluster (tests/pg.py), pushes sessions through the real ingest app,
serves the real viewer app (uvicorn, TLS) with the built page (make web), and measures, each
run in a fresh browser context (cold cache, logged in by cookie):

- each run is a returning user (cookie and localStorage kept), with an empty HTTP cache;
- **first list**: from navigation start to the first session row painted;
- **deep link**: from navigation start to message 4,000 of a 5,000-message session painted at
  ``#/s/<id>/m/4000``;
- **bytes**: what each of those loads transferred (all, and JavaScript alone), compressed.

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
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import web_trace  # noqa: E402
from infra.credentials import add_device, add_viewer  # noqa: E402
from tests.pg import create_database, prepare_template, start_server  # noqa: E402
from tests.viewer.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.viewer.browser_helpers import _msg, _session, huge_session, push_sessions, serve_viewer  # noqa: E402
from viewer_fn import static_files  # noqa: E402

HUGE_ID = "bench:sess-huge"
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
  return { all: sum(entries), js: sum(entries.filter((e) => /\\.js($|\\?)/.test(e.name))), requests: entries.length };
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


def measure(browser: Any, state: dict[str, Any], url: str, selector: str, api: list[str]) -> dict[str, float]:
    # A returning user: the login cookie and the page's localStorage (its signed-in hint).
    context = browser.new_context(
        ignore_https_errors=True, viewport={"width": 1280, "height": 800}, storage_state=state
    )
    context.add_init_script(PROBE)
    page = context.new_page()
    page.goto(url)
    painted = page.evaluate("(s) => window.__paintedAt(s)", selector)
    sizes = page.evaluate(BYTES)
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
    context.close()
    return {"ms": painted, "api_ms": t_api, **sizes}


SITE = Path(__file__).resolve().parents[1] / "viewer_fn" / "site"


def use_site(site: Path) -> None:
    """Serve another built site from now on (the viewer reads its files once and caches them)."""
    static_files._site = lambda: site  # a Path is a Traversable
    static_files.static_asset.cache_clear()
    static_files.index_page.cache_clear()


def trace_deep_link(browser: Any, state: dict[str, Any], url: str, selector: str, out: Path) -> str:
    context = browser.new_context(
        ignore_https_errors=True, viewport={"width": 1280, "height": 800}, storage_state=state
    )
    context.add_init_script(PROBE)
    page = context.new_page()
    browser.start_tracing(page=page, categories=web_trace.CATEGORIES)
    page.goto(url)
    painted = page.evaluate("(s) => window.__paintedAt(s)", selector)
    trace = browser.stop_tracing()
    context.close()
    out.write_bytes(trace)
    return web_trace.report(web_trace.breakdown(trace, painted))


def summary(name: str, runs: list[dict[str, float]]) -> dict[str, Any]:
    ms = [r["ms"] for r in runs]
    api = [r["api_ms"] for r in runs]
    return {
        "what": name,
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(pct(ms, 0.95), 1),
        "api_p50_ms": round(statistics.median(api), 1),
        "page_over_api_p50": round(statistics.median(ms) / max(statistics.median(api), 0.1), 1),
        "bytes_kb": round(statistics.median(r["all"] for r in runs) / 1024, 1),
        "js_kb": round(statistics.median(r["js"] for r in runs) / 1024, 1),
        "requests": round(statistics.median(r["requests"] for r in runs)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--messages", type=int, default=5000, help="messages in the deep-linked session")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--against", type=Path, help="another built site, measured alternately in the same run")
    ap.add_argument(
        "--trace", type=Path, help="write a Chromium trace of one deep link here, and its breakdown"
    )
    args = ap.parse_args()
    sites = {"this build": SITE}
    if args.against:
        if not (args.against / "index.html").is_file():
            ap.error(f"--against {args.against}: no index.html there (a copy of a built viewer_fn/site)")
        sites["against"] = args.against.resolve()

    from playwright.sync_api import sync_playwright

    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)

    with start_server() as server, tempfile.TemporaryDirectory() as tmp:
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
        with serve_viewer(db.viewer_dsn, Path(tmp) / "tls") as served, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            login = browser.new_context(ignore_https_errors=True)
            page = login.new_page()
            page.goto(served.url)
            page.fill("#login-token", viewer.token)
            page.click("#login-submit")
            page.wait_for_selector("a[data-session-id]")
            state = login.storage_state()
            login.close()

            sid = HUGE_ID.replace(":", "%3A")
            deep_url = f"{served.url}#/s/{sid}/m/{TARGET}"
            deep_sel = f'article.msg[data-ordinal="{TARGET}"]'
            lists: dict[str, list[dict[str, float]]] = {name: [] for name in sites}
            deep: dict[str, list[dict[str, float]]] = {name: [] for name in sites}
            for run in range(args.runs + 1):  # the first run warms the server, and is dropped
                order = list(sites.items())
                for name, site in order if run % 2 == 0 else order[::-1]:
                    use_site(site)
                    lists[name].append(
                        measure(
                            browser,
                            state,
                            served.url,
                            "a[data-session-id]",
                            ["api/v1/sessions?limit=200&include_children=true"],
                        )
                    )
                    deep[name].append(
                        measure(
                            browser,
                            state,
                            deep_url,
                            deep_sel,
                            [
                                f"api/v1/sessions/{sid}",
                                f"api/v1/sessions/{sid}/messages?from={TARGET}&limit=200",
                            ],
                        )
                    )
            traced = ""
            if args.trace:
                use_site(SITE)
                traced = trace_deep_link(browser, state, deep_url, deep_sel, args.trace)
            browser.close()
        results = []
        for name in sites:
            label = "" if len(sites) == 1 else f" [{name}]"
            results.append(summary(f"first list ({args.sessions:,} sessions){label}", lists[name][1:]))
            results.append(
                summary(f"deep link to message {TARGET:,} of {args.messages:,}{label}", deep[name][1:])
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(json.dumps(results, indent=2))
    print()
    print("| what | p50 ms | p95 ms | API alone p50 ms | page ÷ API | KB loaded | of it JS | requests |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['what']} | {r['p50_ms']} | {r['p95_ms']} | {r['api_p50_ms']} | {r['page_over_api_p50']} "
            f"| {r['bytes_kb']} | {r['js_kb']} | {r['requests']} |"
        )
    if args.trace:
        print()
        print(traced)


if __name__ == "__main__":
    main()
