"""The browser-test harness: Debian's Chromium driven by Playwright for Python (never
``playwright install``), a watch for console errors, failed requests and CSP violations, and
axe-core (the npm package in web/node_modules, injected into the page) for accessibility.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# Headless, Chromium still builds its omnibox popup (a WebUI page, in a renderer of its own) for
# every new window, and each test opens one: in a trace, ~0.3 s of that renderer's main thread and
# ~0.5 s of its workers beside the page under test, on a machine of two cores. Never shown here.
NO_OMNIBOX_POPUP = "--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    NO_OMNIBOX_POPUP,
]
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
# AV_SCREENSHOTS=1: the tests' own views, from fixture data, to look at a test. The docs' images
# come from the demo (scripts/screenshots.py), so these never go over them.
SCREENSHOTS = Path(tempfile.gettempdir()) / "av-test-screenshots"
# Answers the page expects to see fail: checking the login, and a wrong token.
EXPECTED_FAILURES = re.compile(r"/api/v1/auth/(me|login)$")
# Runs before any page script: records CSP violations, dialogs the content might open, and
# every <script> element added to the document.
PROBE = """
window.__cspViolations = [];
window.__dialogs = 0;
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sample || ''));
});
for (const name of ['alert', 'confirm', 'prompt']) {
  const original = window[name];
  window[name] = function () { window.__dialogs++; return original.apply(this, arguments); };
}
"""


@dataclass
class Watch:
    """Everything the page reports that would mean a broken or unsafe page."""

    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def check(self, page: Any) -> None:
        violations = page.evaluate("window.__cspViolations || []")
        assert not violations, f"CSP violations: {violations}"
        assert not self.dialogs, f"dialogs opened: {self.dialogs}"
        assert not self.problems, "console errors / failed requests:\n" + "\n".join(self.problems)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("needs /usr/bin/chromium (make chromium)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def open_page(
    browser: Any, *, width: int = 1280, height: int = 800, color_scheme: str = "light"
) -> tuple[Any, Any, Watch]:
    """A new context and page with the probes installed; the caller closes the context."""
    context = browser.new_context(
        ignore_https_errors=True, viewport={"width": width, "height": height}, color_scheme=color_scheme
    )
    context.add_init_script(PROBE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch = Watch()

    def on_console(msg: Any) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        expected_401 = "status of 401" in msg.text and EXPECTED_FAILURES.search(where)
        if msg.text.startswith("Failed to load resource") and expected_401:
            return
        watch.problems.append(f"console: {msg.text} ({where})")

    def on_response(resp: Any) -> None:
        if resp.status >= 400 and not (resp.status == 401 and EXPECTED_FAILURES.search(resp.url)):
            watch.problems.append(f"HTTP {resp.status} {resp.url}")

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("response", on_response)
    page.on("request", lambda req: watch.requests.append(req.url))
    page.on("dialog", on_dialog)
    return context, page, watch


def axe_violations(page: Any, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Runs axe-core in the page (WCAG 2 A/AA rules) and returns the violations of these impacts.

    axe is injected through Playwright (not a <script> the page loads), so the CSP is unaffected.
    """
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async () => {
          const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } });
          return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }));
        }"""
    )
    return [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in result if v["impact"] in impacts]


def shoot(page: Any, name: str, enabled: bool) -> None:
    if enabled:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name))
