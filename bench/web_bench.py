"""Web viewer benchmark: what a person waits for, in headless Chromium against the real apps.

    .venv/bin/python bench/web_bench.py                 # 2,000 sessions + one of 5,000 messages, 15 runs
    .venv/bin/python bench/web_bench.py --sessions 10000 --runs 30

Starts its own throwaway cluster (tests/pg.py), pushes sessions through the real ingest app,
serves the real viewer app (uvicorn, TLS) with the built page (make web), and measures, each
run in a fresh browser context (cold cache, logged in by cookie):

- each run is a returning user (cookie and localStorage kept), with an empty HTTP cache;
- **first list**: from navigation start to the first session row painted;
- **deep link**: from navigation start to message 4,000 of a 5,000-message session painted at
  ``#/s/<id>/m/4000``;
- **bytes**: what each of those loads transferred (all, and JavaScript alone), compressed.

Times are taken in the page (``performance.now()`` at the frame after the element appears), so
they include fetching the page, its scripts and the API calls, and exclude Playwright's
overhead. The baseline, measured in the same run and the same page, is the API calls alone that
each view needs (``fetch`` of the list page; of the session and its message page): the ratio
says what the page adds on top of the API.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.credentials import add_device, add_viewer  # noqa: E402
from tests.pg import create_database, prepare_template, start_server  # noqa: E402
from tests.viewer.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.viewer.browser_helpers import _msg, _session, huge_session, push_sessions, serve_viewer  # noqa: E402

HUGE_ID = "bench:sess-huge"
TARGET = 4000
# Runs before the page: resolves window.__painted(selector) at the frame after it appears.
PROBE = """
window.__paintedAt = (selector) => new Promise((resolve) => {
  const done = () => requestAnimationFrame(() => resolve(performance.now()));
  if (document.querySelector(selector)) return done();
  const obs = new MutationObserver(() => {
    if (document.querySelector(selector)) { obs.disconnect(); done(); }
  });
  obs.observe(document, { childList: true, subtree: true });
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
    # The baseline: the same API calls, from the same page, after it settled.
    t_api = page.evaluate(
        """async (urls) => { const t = performance.now();
             await Promise.all(urls.map((u) => fetch(u, { cache: 'no-store' }).then((r) => r.json())));
             return performance.now() - t; }""",
        api,
    )
    context.close()
    return {"ms": painted, "api_ms": t_api, **sizes}


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
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

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
            lists, deep = [], []
            for _ in range(args.runs + 1):  # the first run warms the server, and is dropped
                lists.append(
                    measure(
                        browser,
                        state,
                        served.url,
                        "a[data-session-id]",
                        ["api/v1/sessions?limit=200&include_children=true"],
                    )
                )
                deep.append(
                    measure(
                        browser,
                        state,
                        f"{served.url}#/s/{sid}/m/{TARGET}",
                        f'article.msg[data-ordinal="{TARGET}"]',
                        [f"api/v1/sessions/{sid}", f"api/v1/sessions/{sid}/messages?from={TARGET}&limit=200"],
                    )
                )
            browser.close()
        results = [
            summary(f"first list ({args.sessions:,} sessions)", lists[1:]),
            summary(f"deep link to message {TARGET:,} of {args.messages:,}", deep[1:]),
        ]
    print(json.dumps(results, indent=2))
    print()
    print("| what | p50 ms | p95 ms | API alone p50 ms | page ÷ API | KB loaded | of it JS | requests |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['what']} | {r['p50_ms']} | {r['p95_ms']} | {r['api_p50_ms']} | {r['page_over_api_p50']} "
            f"| {r['bytes_kb']} | {r['js_kb']} | {r['requests']} |"
        )


if __name__ == "__main__":
    main()
