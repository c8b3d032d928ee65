"""A panel's CSV asked for while its numbers are on their way is saved when they arrive, with
them: never an empty file, never an older range's numbers (one rule in Panel.svelte for all)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.viewer.browser import Watch, browser, sync_api
from tests.viewer.insights_site import MARCH, Site, login, page_watch, panel, read_exactly, site

__all__ = ["browser", "page_watch", "site"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("panel_id", "route", "header"),
    [
        ("tools", "tools", "category,calls,share"),
        ("calendar", "heatmap", "date,messages"),
        ("cost-day", "cost", "date,usd"),
    ],
)
def test_csv_asked_for_while_loading_holds_the_numbers(
    site: Site, page_watch: tuple[Any, Watch], panel_id: str, route: str, header: str
) -> None:
    page, watch = page_watch
    held: list[Any] = []
    answer = re.compile(rf"/api/v1/analytics/{route}\?")
    page.route(answer, lambda r: held.append(r))
    downloads: list[Any] = []
    page.on("download", lambda d: downloads.append(d))
    login(page, site, f"#/analytics?{MARCH}")
    card = panel(page, panel_id)
    expect(card).to_have_attribute("aria-busy", "true")
    card.locator("button.csv").click()
    expect(card.locator("button.csv")).to_have_text("CSV…")
    assert held, f"the {route} request was not held"
    for r in held:
        r.continue_()
    page.unroute(answer)
    expect(card).to_have_attribute("aria-busy", "false")
    expect(card.locator("button.csv")).to_have_text("CSV")
    for _ in range(50):  # the download event reaches Python after the page saved the file
        if downloads:
            break
        page.wait_for_timeout(100)
    # One file, saved once the numbers were in (the page used to save an empty one at the click).
    assert len(downloads) == 1
    lines = read_exactly(downloads[0].path()).splitlines()
    assert lines[0].startswith(header), lines[:2]
    assert len(lines) > 1, "the file has no numbers"
    watch.check(page)
