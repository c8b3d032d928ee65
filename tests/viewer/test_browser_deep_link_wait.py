"""What a deep link shows while it waits (docs/web.md, "While a deep link waits").

- Its message's page not yet answered, the message pane shows the rows' "Loading message N…"
  placeholders, where the reader is and wherever they scroll meanwhile: never a blank pane (the
  list, not yet attached to its scrolling element, stayed at the top of rows laid out far below).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.viewer.browser import Watch, browser, sync_api
from tests.viewer.browser_helpers import MACHINE
from tests.viewer.browser_site import (
    Site,
    login,
    page_watch,
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
