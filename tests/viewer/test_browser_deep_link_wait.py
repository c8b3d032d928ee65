"""What a deep link shows while it waits (docs/web.md, "While a deep link waits").

- Its message's page not yet answered, the message pane shows the rows' "Loading message N…"
  placeholders, where the reader is and wherever they scroll meanwhile: never a blank pane (the
  list, not yet attached to its scrolling element, stayed at the top of rows laid out far below).
- Signed out, the login page shows as soon as the page knows it (the login check or the data
  answered 401), without waiting for the session view's code; after signing in, the link still
  opens at its message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.viewer.browser import Watch, browser, sync_api
from tests.viewer.browser_helpers import MACHINE
from tests.viewer.browser_site import (
    Site,
    fulfill,
    login,
    page_watch,
    release,
    session_href,
    wait_a_little_for,
)
from tests.viewer.test_viewer_browser import huge_site

if TYPE_CHECKING:
    from tests.pg import TestDatabase

__all__ = ["browser", "huge_site", "page_watch"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser
HUGE_ID = f"{MACHINE}:sess-huge"
QUOTED = HUGE_ID.replace(":", "%3A")
HELD_PAGE = f"**/api/v1/sessions/{QUOTED}/messages?from=4000*"
# A string only the session view's chunk holds (its placeholder rows): how the test knows it.
SESSION_CHUNK_MARK = "Loading message"
STRETCH_THE_FIRST_PAINT_DEADLINE = """
const setTimeoutAsBuilt = window.setTimeout;
window.setTimeout = function (callback, ms, ...args) {
  return setTimeoutAsBuilt.call(this, callback, ms === 5000 ? 120000 : ms, ...args);
};
"""
TWO_FRAMES = "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"

# The message rows the reader can see: those whose box meets the message pane's, with their text.
ROWS_IN_VIEW = """() => {
  const pane = document.querySelector('[data-testid=messages]');
  if (!pane) return [];
  const box = pane.getBoundingClientRect();
  return [...pane.querySelectorAll('.row[data-index]')].filter((row) => {
    const r = row.getBoundingClientRect();
    return r.height > 0 && r.bottom > box.top + 1 && r.top < box.bottom - 1;
  }).map((row) => [Number(row.dataset.index), row.textContent.trim()]);
}"""


def _rows_in_view(page: Any) -> list[tuple[int, str]]:
    return [(index, text) for index, text in page.evaluate(ROWS_IN_VIEW)]


def _rows_while_waiting(page: Any) -> list[tuple[int, str]]:
    """The rows in view, read while the deep link still waits for its first paint: the session
    list, which mounts after it (or once the page gives up waiting, 5 s on), is not there."""
    rows = _rows_in_view(page)
    assert not page.locator("a[data-session-id]").count(), "read after the first paint"
    return rows


def test_the_pane_shows_placeholders_while_the_message_page_is_on_its_way(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    site, _ = huge_site
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    page.goto("about:blank")  # a new document: the page starts afresh, as from a pasted link
    # The first paint stops waiting after 5 s (AT_LATEST_MS in web/src/lib/firstPaint.svelte.ts) and
    # the session list mounts: stretched here, so this test's steps, slow on a loaded machine, read
    # the page while it still waits (a deadline the page has, not what this test is about).
    page.add_init_script(STRETCH_THE_FIRST_PAINT_DEADLINE)
    held: list[Any] = []
    page.route(HELD_PAGE, lambda route: held.append(route))
    page.goto(site.url + session_href(HUGE_ID, 4000))
    # The session answered (its header shows); the page holding message 4,000 is held back.
    expect(page.locator(".session-head h1")).to_be_visible()
    wait_a_little_for(page, lambda: held)
    assert held, "the message page was not asked for"
    # Where the link points: the message's placeholder, and its neighbours' (the pane used to
    # stay blank, at the top of a list whose rows were laid out 480,000 px below, until the
    # page came or the first paint gave up waiting after 5 s).
    page.evaluate(TWO_FRAMES)
    shown = _rows_while_waiting(page)
    assert shown and shown[0] == (4000, "Loading message 4000…"), shown
    assert all(text == f"Loading message {index}…" for index, text in shown), shown
    # The reader scrolls meanwhile: the rows they scroll to show their placeholders too.
    page.mouse.move(800, 500)
    page.mouse.wheel(0, 1200)
    page.wait_for_timeout(300)
    page.evaluate(TWO_FRAMES)
    moved = _rows_while_waiting(page)
    assert moved and moved[0][0] > 4005, moved
    assert all(text == f"Loading message {index}…" for index, text in moved), moved
    # The page arrives: the link still opens at its message.
    for route in held:
        route.continue_()
    page.unroute(HELD_PAGE)
    expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    wait_a_little_for(page, lambda: _rows_in_view(page)[:1] and _rows_in_view(page)[0][0] == 4000)
    assert _rows_in_view(page)[0][0] == 4000, _rows_in_view(page)
    watch.check(page)


def _hold_the_session_chunk(page: Any) -> list[tuple[Any, Any]]:
    held: list[tuple[Any, Any]] = []

    def route_js(route: Any) -> None:
        response = route.fetch()
        if SESSION_CHUNK_MARK in response.text():
            held.append((route, response))
        else:
            fulfill(route, response)

    page.route("**/*.js", route_js)  # routing also turns the HTTP cache off
    return held


def _opens_at_its_message_after_login(page: Any, site: Site, held: list[tuple[Any, Any]]) -> None:
    login(page, site.token)
    release(held)
    page.unroute("**/*.js")
    expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    assert page.evaluate("location.hash") == session_href(HUGE_ID, 4000)


def test_a_signed_out_deep_link_shows_its_login_without_the_session_view(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    site, _ = huge_site
    page, watch = page_watch  # a new browser profile: no login, no hint
    held = _hold_the_session_chunk(page)
    page.goto(site.url + session_href(HUGE_ID, 4000), wait_until="commit")
    # The login check answered 401: the login shows while the view's code is still held back
    # (the page used to mount only once that code had loaded).
    expect(page.locator("#login-token")).to_be_visible()
    wait_a_little_for(page, lambda: held)
    assert held, "the session view's code was not asked for"
    _opens_at_its_message_after_login(page, site, held)
    watch.check(page)


def test_an_expired_login_shows_the_login_without_the_session_view(
    huge_site: tuple[Site, str], browser: Any
) -> None:
    site, _ = huge_site
    # Signed in last time (the hint), but the cookie is gone: the data the boot module asks for
    # answers 401 (before the app's code has run), and no login check is made before the paint.
    context = browser.new_context(ignore_https_errors=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(site.url)
        # Once this page's own login check has answered (it clears the hint), the hint is set.
        expect(page.locator("#login-token")).to_be_visible()
        page.evaluate("localStorage.setItem('av-signed-in', '1')")
        page.goto("about:blank")
        held = _hold_the_session_chunk(page)
        page.goto(site.url + session_href(HUGE_ID, 4000), wait_until="commit")
        expect(page.locator("#login-token")).to_be_visible()
        expect(page.get_by_role("status")).to_have_text("Your login has expired. Sign in again.")
        wait_a_little_for(page, lambda: held)
        assert held, "the session view's code was not asked for"
        _opens_at_its_message_after_login(page, site, held)
    finally:
        context.close()
