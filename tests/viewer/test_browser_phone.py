"""At 375 px (a phone) the top bar is one line: views, theme, help and log out side by side."""

from __future__ import annotations

from typing import Any

import pytest

from tests.viewer.browser import browser, open_page, sync_api
from tests.viewer.browser_helpers import TOOLS_ID
from tests.viewer.browser_site import Site, item, login, session_href, site

__all__ = ["browser", "site"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser

# One line: every item of the bar starts above the point where the first one to end ends.
ONE_LINE = """() => { const r = [...document.querySelectorAll('.topbar > *')]
  .map((e) => e.getBoundingClientRect()).filter((b) => b.width > 1 && b.height > 1);
  return Math.max(...r.map((b) => b.top)) < Math.min(...r.map((b) => b.bottom)); }"""


def test_the_top_bar_is_one_line_on_a_phone(site: Site, browser: Any) -> None:
    context, page, watch = open_page(browser, width=375, height=740)
    try:
        page.goto(site.url)
        login(page, site.token)
        expect(item(page, TOOLS_ID)).to_be_visible()
        expect(page.locator("#logout")).to_be_visible()
        assert page.evaluate(ONE_LINE), "the top bar wraps at 375 px"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        watch.check(page)
    finally:
        context.close()


# The lines a text takes: the distinct tops of its boxes (one box per line it is laid out on).
TEXT_LINES = """(el) => { const range = document.createRange(); range.selectNodeContents(el);
  return new Set([...range.getClientRects()].filter((b) => b.width > 0).map((b) => Math.round(b.top))).size; }"""


def test_a_failed_tool_calls_error_tag_stays_on_one_line_on_a_phone(site: Site, browser: Any) -> None:
    # The tag sat beside the call's summary in a row that shrinks: at 375 px it wrapped as "erro/r".
    context, page, watch = open_page(browser, width=375, height=740)
    try:
        page.goto(site.url)
        login(page, site.token)
        page.goto(site.url + session_href(TOOLS_ID))
        tag = page.locator('details.tool[data-tool="Read"] .err-tag')
        expect(tag).to_have_text("error")
        assert tag.evaluate(TEXT_LINES) == 1, "the error tag wraps at 375 px"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        watch.check(page)
    finally:
        context.close()
