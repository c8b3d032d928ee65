"""What a deep link's first paint waits for: its data and the page's code, not the login check.

A returning browser (signed in last time: a hint in localStorage, never a credential) draws the
page at once, in parallel with `/auth/me`; an expired login still ends on the login page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.viewer.browser import Watch, browser, sync_api
from tests.viewer.browser_helpers import MACHINE
from tests.viewer.browser_site import Site, login, page_watch, session_href
from tests.viewer.test_viewer_browser import huge_site

if TYPE_CHECKING:
    from tests.pg import TestDatabase

__all__ = ["browser", "huge_site", "page_watch"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser
HUGE_ID = f"{MACHINE}:sess-huge"


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
        page.evaluate("localStorage.setItem('av-signed-in', '1')")
        page.goto("about:blank")
        page.goto(site.url + session_href(HUGE_ID, 4000))
        expect(page.locator("#login-token")).to_be_visible()
        expect(page.locator("article.msg")).to_have_count(0)
        login(page, site.token)
        expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    finally:
        context.close()
