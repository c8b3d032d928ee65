"""The viewer page in headless Chromium against the real apps.

Sessions go in through the real ingest app; the real viewer app is served over
TLS by uvicorn; the page must work under the production CSP with no console
errors. With AV_SCREENSHOTS=1 the run also refreshes docs/screenshots/*.png.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

from infra.credentials import add_device, add_viewer
from tests.viewer.browser_helpers import (
    BIG_FIRST,
    BIG_ID,
    BIG_MESSAGES,
    CODEX_FIRST,
    INJECTION,
    MACHINE,
    TOOLS_FIRST,
    TOOLS_ID,
    push_samples,
    serve_viewer,
)

if TYPE_CHECKING:
    from tests.pg import TestDatabase

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Read at import: the autouse clean_environ fixture removes AV_* variables before each test.
TAKE_SCREENSHOTS = os.environ.get("AV_SCREENSHOTS") == "1"
# Answers the page expects to see fail: checking the login, and a wrong token.
EXPECTED_FAILURES = re.compile(r"/api/v1/auth/(me|login)$")
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


@dataclass
class Site:
    url: str
    token: str


@dataclass
class Watch:
    """Everything the page reports that would mean a broken or unsafe page."""

    problems: list[str] = field(default_factory=list)

    def check(self, page: sync_api.Page) -> None:
        violations = page.evaluate("window.__cspViolations || []")
        assert not violations, f"CSP violations: {violations}"
        assert not self.problems, "console errors / failed requests:\n" + "\n".join(self.problems)


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (apt-get install -y chromium)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _credentials(db: TestDatabase) -> tuple[str, str]:
    with db.admin() as conn:
        device = add_device(conn, machine=MACHINE)
        viewer = add_viewer(conn, name="alice")
    return device.token, viewer.token


@pytest.fixture
def site(db: TestDatabase, tmp_path: Path) -> Iterator[Site]:
    device_token, viewer_token = _credentials(db)
    push_samples(db.ingest_dsn, device_token)
    with serve_viewer(db.viewer_dsn, tmp_path / "tls") as served:
        yield Site(served.url, viewer_token)


@pytest.fixture
def page_watch(browser: sync_api.Browser) -> Iterator[tuple[sync_api.Page, Watch]]:
    context = browser.new_context(
        ignore_https_errors=True, viewport={"width": 1280, "height": 800}, color_scheme="light"
    )
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch = Watch()

    def on_console(msg: sync_api.ConsoleMessage) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        expected_401 = "status of 401" in msg.text and EXPECTED_FAILURES.search(where)
        if msg.text.startswith("Failed to load resource") and expected_401:
            return
        watch.problems.append(f"console: {msg.text} ({where})")

    def on_response(resp: sync_api.Response) -> None:
        if resp.status >= 400 and not (resp.status == 401 and EXPECTED_FAILURES.search(resp.url)):
            watch.problems.append(f"HTTP {resp.status} {resp.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("response", on_response)
    yield page, watch
    context.close()


def login(page: sync_api.Page, token: str) -> None:
    page.fill("#login-token", token)
    page.click("#login-submit")
    expect(page.locator("#shell")).to_be_visible()


def shoot(page: sync_api.Page, name: str) -> None:
    if TAKE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name))


def item(page: sync_api.Page, sid: str) -> sync_api.Locator:
    return page.locator(f'.session-item[data-id="{sid}"]')


def test_login_wrong_token_then_list(site: Site, page_watch: tuple[sync_api.Page, Watch]) -> None:
    page, watch = page_watch
    page.goto(site.url)
    token = page.locator("#login-token")
    expect(token).to_be_visible()
    expect(token).to_have_attribute("type", "password")
    expect(page.locator("#shell")).to_be_hidden()

    page.fill("#login-token", "avv_not-a-real-token")
    page.click("#login-submit")
    error = page.locator("#login-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("invalid")
    expect(page.locator("#shell")).to_be_hidden()

    login(page, site.token)
    expect(page.locator("#whoami")).to_contain_text("alice")
    items = page.locator(".session-item")
    expect(items).to_have_count(3)  # the subagent session is a child: not listed
    expect(page.locator("#session-total")).to_have_text("3 sessions")
    # Newest first.
    expect(items.nth(0)).to_have_attribute("data-id", TOOLS_ID)
    expect(items.nth(1)).to_have_attribute("data-id", BIG_ID)
    for sid, first in ((TOOLS_ID, TOOLS_FIRST), (BIG_ID, BIG_FIRST)):
        expect(item(page, sid).locator(".si-first")).to_contain_text(first[:40])
    expect(item(page, BIG_ID)).to_contain_text(f"{BIG_MESSAGES} msgs")
    expect(item(page, BIG_ID)).to_contain_text(MACHINE)
    expect(item(page, "laptop:sess-codex")).to_contain_text("codex")
    expect(item(page, "laptop:sess-codex")).to_contain_text(CODEX_FIRST)

    # The agent filter asks the API for one agent only.
    page.select_option("#filter-agent", "codex")
    expect(items).to_have_count(1)
    expect(page.locator("#session-total")).to_have_text("1 session")
    page.select_option("#filter-agent", "")
    expect(items).to_have_count(3)
    shoot(page, "session-list.png")

    page.click("#logout")
    expect(page.locator("#login-token")).to_be_visible()
    page.reload()
    expect(page.locator("#login-token")).to_be_visible()  # the cookie is gone
    watch.check(page)


def test_open_session_tools_thinking_paging_reload(
    site: Site, page_watch: tuple[sync_api.Page, Watch]
) -> None:
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)

    item(page, TOOLS_ID).click()
    assert page.url.endswith(f"#/s/{quote(TOOLS_ID, safe='')}")
    session = page.locator("#session")
    expect(session.locator(".session-title")).to_contain_text(TOOLS_FIRST[:40])
    expect(session.locator(".chips")).to_contain_text("claude-sonnet-4-5")
    expect(session.locator(".msg")).to_have_count(6)
    expect(item(page, TOOLS_ID)).to_have_class(re.compile(r"\bactive\b"))

    # Thinking: present, collapsed, expandable.
    thinking = session.locator("details.thinking").first
    expect(thinking).to_be_visible()
    assert thinking.get_attribute("open") is None
    expect(thinking.locator(".thinking-body")).to_be_hidden()
    thinking.locator("summary").click()
    expect(thinking.locator(".thinking-body")).to_contain_text("I should run ls first")
    thinking.locator("summary").click()

    # The tool call, its input and its (collapsed) result.
    bash = session.locator('.tool[data-tool="Bash"]')
    expect(bash.locator(".tool-name")).to_have_text("Bash")
    expect(bash.locator(".tool-summary")).to_have_text("ls -la")
    result = bash.locator("details.tool-result")
    expect(result.locator("pre")).to_be_hidden()
    result.locator("summary").click()
    expect(result.locator("pre")).to_contain_text("pyproject.toml")
    bash.locator("details.tool-input summary").click()
    expect(bash.locator("details.tool-input pre")).to_contain_text('"command": "ls -la"')
    bash.locator("details.tool-input summary").click()

    # An error result is marked as such; a subagent call links to its session.
    read = session.locator('.tool[data-tool="Read"]')
    expect(read).to_have_class(re.compile(r"\btool-error\b"))
    expect(read.locator(".tool-badge-error")).to_have_text("error")
    link = session.locator(".subagent-link")
    expect(link).to_have_attribute("href", f"#/s/{quote(MACHINE + ':agent-sub1', safe='')}")

    # Agent text is text: markup in a message is shown, never run.
    expect(session.locator(".msg").nth(4)).to_contain_text(INJECTION)
    assert session.locator(".msg img, .msg script").count() == 0
    assert page.evaluate("window.pwned === undefined && document.title !== 'pwned'")
    # Code fences become code blocks.
    expect(session.locator(".code pre code")).to_contain_text("print('<b>hi</b>')")
    expect(session.locator(".code-lang")).to_have_text("python")
    shoot(page, "session.png")

    link.click()
    expect(session.locator(".session-title")).to_have_text("Survey the tests")
    expect(session.locator(".parent a")).to_have_text("sess-tools")
    page.go_back()
    expect(session.locator(".session-title")).to_contain_text(TOOLS_FIRST[:40])

    # Paging: 200 messages, then the remaining 50.
    item(page, BIG_ID).click()
    expect(session.locator(".msg")).to_have_count(200)
    more = page.locator("#load-more-messages")
    expect(more).to_contain_text(f"{BIG_MESSAGES - 200} remaining")
    more.click()
    expect(session.locator(".msg")).to_have_count(BIG_MESSAGES)
    expect(session.locator(".msg").last).to_contain_text(f"message {BIG_MESSAGES - 1}")
    expect(page.locator("#load-more-messages")).to_have_count(0)
    expect(session.locator(".end-note")).to_contain_text(f"{BIG_MESSAGES} messages")

    # j/k move between sessions.
    page.locator("body").press("k")
    expect(session.locator(".session-title")).to_contain_text(TOOLS_FIRST[:40])
    page.locator("body").press("j")
    expect(session.locator(".session-title")).to_contain_text(BIG_FIRST)

    # A reload of the link re-opens the session (the login cookie persists).
    page.reload()
    expect(session.locator(".session-title")).to_contain_text(BIG_FIRST)
    expect(session.locator(".msg")).to_have_count(200)
    expect(item(page, BIG_ID)).to_have_class(re.compile(r"\bactive\b"))
    watch.check(page)


def test_unknown_session_shows_error(site: Site, page_watch: tuple[sync_api.Page, Watch]) -> None:
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    watch.problems.clear()
    page.goto(site.url + "#/s/" + quote("laptop:nope", safe=""))
    expect(page.locator("#session .inline-error")).to_contain_text("no session with id")
    assert any("404" in p for p in watch.problems)  # the 404 is expected here


def test_works_under_a_base_path(
    db: TestDatabase, tmp_path: Path, page_watch: tuple[sync_api.Page, Watch]
) -> None:
    device_token, viewer_token = _credentials(db)
    push_samples(db.ingest_dsn, device_token)
    page, watch = page_watch
    with serve_viewer(db.viewer_dsn, tmp_path / "tls", base_path="/prod") as served:
        assert served.url.endswith("/prod/")
        page.goto(served.url)
        login(page, viewer_token)
        expect(page.locator(".session-item")).to_have_count(3)
        item(page, TOOLS_ID).click()
        expect(page.locator("#session .msg")).to_have_count(6)
        page.reload()
        expect(page.locator("#session .msg")).to_have_count(6)
        watch.check(page)
