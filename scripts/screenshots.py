"""The README's and docs' screenshots, taken from the demo in headless Chromium.

    AV_DATA_DIR=/tmp/av-shots make demo          # the local stack with the demo corpus
    eval "$(.venv/bin/av-admin local env)"
    .venv/bin/python scripts/screenshots.py      # writes docs/screenshots/*.png

Reads the viewer's address, login and CA from AV_VIEWER_URL, AV_VIEWER_TOKEN and AV_CA_BUNDLE
(what `av-admin local env` prints). The demo corpus is dated in the weeks before it is written, so the
dashboard's default range (the last 30 days) holds it; the analytics shot is the whole page,
cost section included. Uses Debian's /usr/bin/chromium (never `playwright install`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


def api(base: str, token: str, path: str) -> Any:
    """A viewer API answer, over TLS checked against the local CA (AV_CA_BUNDLE)."""
    verify: str | bool = os.environ.get("AV_CA_BUNDLE") or True
    answer = httpx.get(base + "api/v1/" + path, headers={"Authorization": f"Bearer {token}"}, verify=verify)
    answer.raise_for_status()
    return answer.json()


def richest_session(base: str, token: str) -> str:
    """The top-level session with the most messages: thinking, tools and code to show."""
    rows = api(base, token, "sessions?limit=200")["rows"]
    return str(max(rows, key=lambda s: s["message_count"])["id"])


class Shooter:
    def __init__(self, browser: Any, base: str, token: str, out: Path) -> None:
        self.browser, self.base, self.token, self.out = browser, base, token, out

    def page(self, viewport: dict[str, int], scheme: str = "light") -> tuple[Any, Any]:
        context = self.browser.new_context(
            ignore_https_errors=True, viewport=viewport, color_scheme=scheme, reduced_motion="reduce"
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(self.base)
        page.fill("#login-token", self.token)
        page.click("#login-submit")
        page.wait_for_selector("#shell")
        return context, page

    def go(self, page: Any, hash_: str, ready: str) -> None:
        page.goto(self.base + hash_)
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(400)  # charts finish drawing (animations are off)

    def save(self, page: Any, name: str, *, full: bool = False, element: str | None = None) -> None:
        path = self.out / name
        if element:
            page.locator(element).screenshot(path=str(path))
        else:
            page.screenshot(path=str(path), full_page=full)
        print(f"wrote {path}")  # noqa: T201 - CLI output


# Scrolls the dashboard (not the document: the top bar stays) to the cost section, below the
# dashboard's sticky range bar.
TO_COST = """() => { const dash = document.querySelector('.dash'); const cost = document.getElementById('cost');
  const bar = dash.querySelector('.top').getBoundingClientRect().height;
  dash.scrollTop += cost.getBoundingClientRect().top - dash.getBoundingClientRect().top - bar - 8; }"""


def to_cost(page: Any) -> None:
    page.evaluate(TO_COST)
    page.wait_for_timeout(300)


def open_blocks(page: Any, count: int) -> None:
    """Open the first thinking blocks and tool calls, so the shot shows what is inside."""
    for summary in page.locator("article.msg details > summary").all()[:count]:
        summary.click()
    page.evaluate("document.querySelector('[data-testid=messages]').scrollTop = 0")
    page.wait_for_timeout(300)


def take(shooter: Shooter, sid: str, word: str) -> None:
    session = f"#/s/{quote(sid, safe='')}"
    analytics = "#/analytics"
    for scheme, suffix in (("light", ""), ("dark", "-dark")):
        context, page = shooter.page(DESKTOP, scheme)
        shooter.go(page, "#/", "a[data-session-id]")
        if not suffix:
            shooter.save(page, "session-list.png")
        shooter.go(page, session, "article.msg")
        open_blocks(page, 4)
        shooter.save(page, "session.png" if not suffix else "dark.png")
        if not suffix:
            page.locator("details.cost > summary").click()
            shooter.save(page, "session-cost.png", element=".session-head")
        shooter.go(page, f"#/search?q={quote(word)}", "mark")
        shooter.save(page, f"search{suffix}.png")
        context.close()
        context, page = shooter.page({"width": 1280, "height": 1400}, scheme)
        shooter.go(page, analytics, "#summary [data-metric=sessions]")
        shooter.save(page, f"analytics{suffix}.png")
        to_cost(page)
        shooter.save(page, f"cost{suffix}.png")
        context.close()
    context, page = shooter.page(PHONE)
    shooter.go(page, "#/", "a[data-session-id]")
    shooter.save(page, "phone-list.png")
    shooter.go(page, session, "article.msg")
    shooter.save(page, "phone.png")
    shooter.go(page, f"#/search?q={quote(word)}", "mark")
    shooter.save(page, "search-phone.png")
    shooter.go(page, analytics, "#summary [data-metric=sessions]")
    shooter.save(page, "analytics-phone.png")
    to_cost(page)
    shooter.save(page, "cost-phone.png")
    context.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--search", default="retry", help="the word the search shots look for")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args(argv)
    base = os.environ.get("AV_VIEWER_URL", "")
    token = os.environ.get("AV_VIEWER_TOKEN", "")
    if not base or not token:
        ap.error(
            'AV_VIEWER_URL and AV_VIEWER_TOKEN are unset: run eval "$(.venv/bin/av-admin local env)" first'
        )
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, headless=True, args=["--no-sandbox"])
        try:
            take(Shooter(browser, base, token, args.out), richest_session(base, token), args.search)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
