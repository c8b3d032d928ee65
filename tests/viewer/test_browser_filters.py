"""The session list's filters beyond the first set: "active within" (the API's active_since)
and a floor on the user's own messages; both live in the URL like every other filter."""

from __future__ import annotations

from typing import Any

import pytest

from tests.viewer.browser import Watch, browser, sync_api
from tests.viewer.browser_helpers import BIG_ID, TOOLS_ID, XSS_ID
from tests.viewer.browser_site import Site, item, login, page_watch, site

__all__ = ["browser", "page_watch", "site"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser


def test_active_within_and_user_message_floor(site: Site, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    rows = page.locator("a[data-session-id]")
    expect(rows).to_have_count(3)  # tools (50 min ago), hostile (30 min), big (3 h)

    page.get_by_role("button", name="Filters").click()
    page.get_by_label("Active").select_option(label="Last hour")
    expect(rows).to_have_count(2)
    expect(item(page, BIG_ID)).to_have_count(0)
    expect(item(page, TOOLS_ID)).to_be_visible()
    expect(item(page, XSS_ID)).to_be_visible()
    assert "active=1h" in page.url
    expect(page.get_by_role("button", name="Filters")).to_contain_text("1")  # the active count
    page.reload()  # a pasted or reloaded link keeps it
    expect(rows).to_have_count(2)

    page.get_by_role("button", name="Filters").click()  # the panel itself starts closed
    expect(page.get_by_label("Active")).to_have_value("1h")
    page.get_by_label("Active").select_option(label="Any time")
    expect(rows).to_have_count(3)
    floor = page.get_by_label("User messages, at least")
    floor.fill("100")  # the big session has 125 of its 250 from the user; the others a few
    floor.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-session-id", BIG_ID)
    assert "min_user_messages=100" in page.url
    floor.fill("126")
    floor.press("Enter")
    expect(page.get_by_text("No sessions match these filters.")).to_be_visible()
    watch.check(page)
