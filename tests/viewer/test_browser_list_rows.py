"""Every list row shows all its details (agent, project, machine, messages, last activity,
children): they wrap to another line rather than being cut ("· 2 …"), at desktop width and 375 px."""

from __future__ import annotations

from typing import Any

import pytest

from tests.viewer.browser import browser, open_page, sync_api
from tests.viewer.browser_helpers import MACHINE, TOOLS_ID
from tests.viewer.browser_site import Site, item, login, site

__all__ = ["browser", "site"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser

# The details of every row that end outside the row's box (cut or hidden by an ellipsis).
CUT = """() => [...document.querySelectorAll('a[data-session-id]')].flatMap((a) => {
  const box = a.getBoundingClientRect();
  return [...a.querySelectorAll('.meta > *')].filter((s) => {
    const r = s.getBoundingClientRect();
    return r.right > box.right + 0.5 || r.bottom > box.bottom + 0.5 || s.scrollWidth > s.clientWidth + 0.5;
  }).map((s) => a.dataset.sessionId + ': ' + s.textContent);
})"""


@pytest.mark.parametrize("width", [1280, 375])
def test_list_rows_show_every_detail(site: Site, browser: Any, width: int) -> None:
    context, page, watch = open_page(browser, width=width, height=800)
    try:
        page.goto(site.url)
        login(page, site.token)
        expect(item(page, TOOLS_ID)).to_be_visible()
        # The parent with its child shown: the row with the most details.
        twisty = page.locator("button.twisty").first
        if twisty.get_attribute("aria-expanded") == "false":
            twisty.click()
        expect(item(page, f"{MACHINE}:agent-sub1")).to_be_visible()
        assert page.evaluate(CUT) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        watch.check(page)
    finally:
        context.close()
