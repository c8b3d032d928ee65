"""What a deep link's first paint waits for: its data and the page's code, not the login check.

A returning browser (signed in last time: a hint in localStorage, never a credential) draws the
page at once, in parallel with `/auth/me`; an expired login still ends on the login page. The
data requests start from the page's small boot module, before the app's main chunk (Svelte, the
shell, the list) has loaded, and the view takes their answers instead of asking again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.viewer.browser import Watch, browser, sync_api
from tests.viewer.browser_helpers import MACHINE
from tests.viewer.browser_site import (
    Site,
    fulfill,
    login,
    open_signed_in,
    page_watch,
    release,
    session_href,
    wait_a_little_for,
)
from tests.viewer.test_browser_deep_link_wait import STRETCH_THE_FIRST_PAINT_DEADLINE
from tests.viewer.test_viewer_browser import huge_site

if TYPE_CHECKING:
    from tests.pg import TestDatabase

__all__ = ["browser", "huge_site", "page_watch"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser
HUGE_ID = f"{MACHINE}:sess-huge"
# A string only the app's main chunk holds (web/src/main.ts): how the test knows that chunk.
APP_CHUNK_MARK = "index.html has no #app element"


def test_deep_link_paints_before_the_login_check_answers(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    site, _ = huge_site
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    held: list[Any] = []
    page.route("**/api/v1/auth/me", lambda route: held.append(route))
    page.goto("about:blank")  # a new document: the page starts afresh, as from a pasted link
    page.goto(site.url + session_href(HUGE_ID, 4000))
    # The message shows while the login check is still unanswered (it used to wait for it).
    expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    # The check itself comes once the message has painted (it no longer competes with its data).
    wait_a_little_for(page, lambda: held)
    assert held, "the page did not check the login"
    for route in held:
        route.continue_()
    page.unroute("**/api/v1/auth/me")
    expect(page.locator("#whoami")).to_have_text("alice")
    watch.check(page)


def test_an_expired_login_still_ends_on_the_login_page(huge_site: tuple[Site, str], browser: Any) -> None:
    site, _ = huge_site
    # Signed in last time (the hint), but the cookie is gone: the data answers 401.
    context = browser.new_context(ignore_https_errors=True)
    try:
        page = context.new_page()
        page.goto(site.url)
        # Once this page's own login check has answered: its 401 clears the hint, and, arriving
        # after the line below, left the test on the path without one.
        expect(page.locator("#login-token")).to_be_visible()
        page.evaluate("localStorage.setItem('av-signed-in', '1')")
        page.goto("about:blank")
        page.goto(site.url + session_href(HUGE_ID, 4000))
        expect(page.locator("#login-token")).to_be_visible()
        expect(page.locator("article.msg")).to_have_count(0)
        login(page, site.token)
        expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    finally:
        context.close()


def test_a_deep_links_data_requests_start_before_the_apps_main_chunk_has_loaded(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    site, _ = huge_site
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    held: list[tuple[Any, Any]] = []

    def hold_the_app_chunk(route: Any) -> None:
        response = route.fetch()
        if APP_CHUNK_MARK in response.text():
            held.append((route, response))
        else:
            fulfill(route, response)

    asked: list[str] = []
    page.on(
        "request", lambda request: asked.append(request.url) if "/api/v1/sessions/" in request.url else None
    )
    page.route("**/*.js", hold_the_app_chunk)  # routing also turns the HTTP cache off
    page.goto("about:blank")
    with page.expect_request(lambda r: "/messages?" in r.url and "from=4000" in r.url):
        page.goto(site.url + session_href(HUGE_ID, 4000), wait_until="commit")
    # The session's page of messages was asked for while the app's code was still held back
    # (it used to be asked for only once that code had loaded and mounted the view). The boot
    # module asks for that code too, just after the data: let its request arrive here.
    wait_a_little_for(page, lambda: held)
    assert held, "the app's main chunk was not requested"
    assert not page.locator("#shell").count()
    release(held)
    page.unroute("**/*.js")
    expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    # The view took the answers already on their way: each first request went out once.
    messages = [url for url in asked if "/messages?" in url and "from=4000" in url]
    sessions = [
        url for url in asked if url.split("?")[0].endswith("/sessions/" + HUGE_ID.replace(":", "%3A"))
    ]
    assert len(messages) == 1, messages
    assert len(sessions) == 1, asked
    watch.check(page)


# Records, in the page, which came first: the deep-linked message or the session list.
FIRST_SEEN = """
window.__firstSeen = [];
new MutationObserver(() => {
  for (const [name, selector] of [["message", 'article.msg[data-ordinal="4000"]'], ["list", "[data-testid=session-list]"]]) {
    if (!window.__firstSeen.includes(name) && document.querySelector(selector)) window.__firstSeen.push(name);
  }
}).observe(document, { childList: true, subtree: true });
"""


def test_a_deep_link_paints_its_message_before_the_session_list_mounts(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    site, _ = huge_site
    page, watch = page_watch
    open_signed_in(page, site, session_href(HUGE_ID, 4000), FIRST_SEEN)
    expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    # The list still comes, once the message is on screen (it used to mount first, competing).
    expect(page.locator("a[data-session-id]").first).to_be_visible()
    assert page.evaluate("window.__firstSeen") == ["message", "list"]
    # A session opened without a message shows its list at once, as before.
    page.goto(site.url + session_href(HUGE_ID))
    expect(page.locator("a[data-session-id]").first).to_be_visible()
    watch.check(page)


# Records, in the page, the order of: the frame after the deep-linked message came into view
# (the frame a person, and bench/web_bench.py, see it in) and the session list's mount.
FRAME_THEN_LIST = """
window.__order = [];
const seen = new IntersectionObserver((entries) => {
  if (!entries.some((e) => e.isIntersecting)) return;
  seen.disconnect();
  requestAnimationFrame(() => window.__order.push("message shown"));
});
new MutationObserver(() => {
  const message = document.querySelector('article.msg[data-ordinal="4000"]');
  if (message && !window.__watched) { window.__watched = true; seen.observe(message); }
  if (!window.__order.includes("list") && document.querySelector("[data-testid=session-list]")) window.__order.push("list");
}).observe(document, { childList: true, subtree: true });
"""


def test_the_list_mounts_after_the_frame_that_shows_a_deep_links_message(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    site, _ = huge_site
    page, watch = page_watch
    open_signed_in(page, site, session_href(HUGE_ID, 4000), FRAME_THEN_LIST)
    expect(page.locator("a[data-session-id]").first).to_be_visible()
    # The list's mount (~30 ms of script) and its requests used to run in the animation frame
    # after the message's first paint, ahead of it, holding that frame back.
    assert page.evaluate("window.__order") == ["message shown", "list"]
    watch.check(page)


# Records, in the page, each use of the browser's Intl (its constructors, and the methods that
# make one: toLocaleString, localeCompare) before and after the deep-linked message showed.
INTL_USES = """
window.__intl = [];
window.__shown = false;
const note = (what) => window.__intl.push([what, window.__shown]);
for (const name of ["NumberFormat", "DateTimeFormat", "Collator", "PluralRules", "RelativeTimeFormat", "ListFormat", "Segmenter"]) {
  const original = Intl[name];
  if (!original) continue;
  Intl[name] = new Proxy(original, {
    construct(target, args) { note("Intl." + name); return Reflect.construct(target, args); },
    apply(target, self, args) { note("Intl." + name); return Reflect.apply(target, self, args); },
  });
}
for (const [owner, method] of [[Number.prototype, "toLocaleString"], [Date.prototype, "toLocaleString"],
    [Date.prototype, "toLocaleDateString"], [Date.prototype, "toLocaleTimeString"], [String.prototype, "localeCompare"]]) {
  const original = owner[method];
  owner[method] = function (...args) { note(method); return original.apply(this, args); };
}
const seen = new IntersectionObserver((entries) => {
  if (!entries.some((e) => e.isIntersecting)) return;
  seen.disconnect();
  requestAnimationFrame(() => (window.__shown = true));
});
new MutationObserver(() => {
  const message = document.querySelector('article.msg[data-ordinal="4000"]');
  if (message && !window.__watched) { window.__watched = true; seen.observe(message); }
}).observe(document, { childList: true, subtree: true });
"""


def test_a_deep_link_uses_no_intl_until_its_message_has_shown(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    """The first Intl object a page makes starts the browser's ICU (25-45 ms of main thread in
    Chromium): a deep link's first screen (counts, times, cut sizes) is written without it
    (web/src/lib/format.ts), and what needs it comes after the message has shown."""
    site, _ = huge_site
    page, watch = page_watch
    # Past the first paint's 5 s deadline the session list mounts (its sort compares with Intl)
    # whether the message has shown or not: stretched, so a slow machine tests the first screen.
    page.add_init_script(STRETCH_THE_FIRST_PAINT_DEADLINE)
    open_signed_in(page, site, session_href(HUGE_ID, 4000), INTL_USES)
    message = page.locator('article.msg[data-ordinal="4000"]')
    expect(message).to_be_visible()
    page.wait_for_function("window.__shown")
    early = [what for what, shown in page.evaluate("window.__intl") if not shown]
    assert early == [], early
    # The times and counts are there all the same: times on the reader's clock.
    expect(message.locator("time")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
    expect(page.locator(".session-head")).to_contain_text("5,000 messages")
    watch.check(page)
