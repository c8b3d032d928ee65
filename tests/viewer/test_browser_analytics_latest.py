"""The dashboard's default range (the last 30 days) empty while older sessions exist: the page
says when the newest one was and offers the 30 days up to it, instead of only empty panels."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.viewer.browser import Watch, axe_violations, browser, sync_api
from tests.viewer.insights_data import SESSIONS
from tests.viewer.insights_site import Site, login, page_watch, panel, site

__all__ = ["browser", "page_watch", "site"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser


def test_an_empty_default_range_offers_the_newest_sessions(site: Site, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    # The fixture's sessions are in March 2026, long before today: the default range is empty.
    login(page, site, "#/analytics?tz=UTC")
    expect(panel(page, "summary").locator(".empty")).to_be_visible()
    hint = page.get_by_test_id("latest-hint")
    expect(hint).to_contain_text("The newest session is from 2026-03-")
    newest = re.search(r"from (\d{4}-\d\d-\d\d)", hint.inner_text())
    assert newest, hint.inner_text()
    assert not axe_violations(page), axe_violations(page)
    hint.get_by_role("button").click()
    expect(page).to_have_url(re.compile(rf"to={newest.group(1)}"))
    expect(panel(page, "summary").locator('[data-metric="sessions"]')).to_have_text(str(SESSIONS))
    expect(hint).to_have_count(0)
    # A range someone chose is what they asked for: no hint there, even when empty.
    page.goto(site.url + "#/analytics?from=2020-01-01&to=2020-01-31&tz=UTC")
    expect(panel(page, "summary").locator(".empty")).to_be_visible()
    expect(page.get_by_test_id("latest-hint")).to_have_count(0)
    watch.check(page)
