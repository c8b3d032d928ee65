"""The session list's filters beyond the first set: "active within" (the API's active_since)
and a floor on the user's own messages; both live in the URL like every other filter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.viewer.browser import Watch, browser, sync_api
from tests.viewer.browser_helpers import BIG_ID, TOOLS_ID, XSS_ID
from tests.viewer.browser_site import Site, item, login, page_watch, site

if TYPE_CHECKING:
    from tests.pg import TestDatabase

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


def test_log_file_filter_shows_sessions_kept_after_their_log_left(
    db: TestDatabase, site: Site, page_watch: tuple[Any, Watch]
) -> None:
    # An agent cleaned up the big session's log; the server kept it, marked (issue 15).
    with db.admin() as conn:
        marked = conn.execute(
            "UPDATE av.sessions SET gone_locally_at = now() WHERE session_id = 'sess-big'"
        ).rowcount
    assert marked == 1
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    rows = page.locator("a[data-session-id]")
    expect(rows).to_have_count(3)
    expect(item(page, BIG_ID)).to_contain_text("log gone")

    page.get_by_role("button", name="Filters").click()
    page.get_by_label("Log file").select_option(label="Gone from its machine")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-session-id", BIG_ID)
    assert "log=gone" in page.url
    page.get_by_label("Log file").select_option(label="Still on its machine")
    expect(rows).to_have_count(2)
    expect(item(page, BIG_ID)).to_have_count(0)
    page.reload()  # the filter lives in the URL
    expect(rows).to_have_count(2)
    watch.check(page)


# Each field's box against the filters panel's: how far it sticks out on either side.
OVERFLOWS = """() => { const panel = document.getElementById('session-filters').getBoundingClientRect();
  return [...document.querySelectorAll('#session-filters input, #session-filters select')]
    .map((el) => [el.closest('label')?.textContent.trim() ?? el.id, el.getBoundingClientRect()])
    .filter(([, r]) => r.right > panel.right + 0.5 || r.left < panel.left - 0.5)
    .map(([name, r]) => `${name}: ${Math.round(r.left - panel.left)}..${Math.round(r.right - panel.left)} of ${Math.round(panel.width)}`); }"""


def test_every_filter_field_fits_in_the_sidebar(site: Site, page_watch: tuple[Any, Watch]) -> None:
    """The message-count pair used to stick out of the sidebar at desktop width (a grid column
    cannot shrink below a number field's own width unless told it may)."""
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    page.get_by_role("button", name="Filters").click()
    expect(page.get_by_label("At most")).to_be_visible()
    assert page.evaluate(OVERFLOWS) == []
    watch.check(page)
