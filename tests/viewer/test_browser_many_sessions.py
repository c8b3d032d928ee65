"""The session list at scale: it is virtualized (the page holds a few dozen rows, however many
sessions match) and asks for pages of 200 only as the reader scrolls toward them, so a list of
10,000 sessions opens and scrolls like one of 50 (issue 10, "smooth at 10,000+ sessions")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.viewer.browser import Watch, browser, sync_api
from tests.viewer.browser_helpers import MACHINE, _msg, _session, push_sessions, serve_viewer
from tests.viewer.browser_site import Site, credentials, login, page_watch

if TYPE_CHECKING:
    from tests.pg import TestDatabase

__all__ = ["browser", "page_watch"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser

SESSIONS = 1_200  # six of the list's pages of 200
PER_PUSH = 400  # under the protocol's 500 sessions a push
MOST_ROWS = 100  # what a virtual list of ~20 visible rows may hold, overscan included


def _numbered(i: int, now: datetime) -> dict[str, Any]:
    """Session i started i minutes before now: session 0 is the newest, the last the oldest."""
    sid, t = f"many-{i:05d}", now - timedelta(minutes=i + 1)
    first = f"Numbered session {i:05d}"
    return _session(sid, "claude", f"proj-{i % 7}", first, t, [_msg(sid, 0, "user", first, t)])


@pytest.fixture
def many_site(db: TestDatabase, tmp_path: Path) -> Iterator[Site]:
    device_token, viewer_token = credentials(db)
    now = datetime.now(UTC)
    every = [_numbered(i, now) for i in range(SESSIONS)]
    for start in range(0, SESSIONS, PER_PUSH):
        push_sessions(db.ingest_dsn, device_token, every[start : start + PER_PUSH], f"many-sessions-{start}")
    with serve_viewer(db.viewer_dsn, tmp_path / "tls") as served:
        yield Site(served.url, viewer_token, device_token)


def _list_pages(watch: Watch) -> list[str]:
    return [u for u in watch.requests if "/api/v1/sessions?" in u]


def test_a_long_list_is_virtual_and_pages_as_it_scrolls(
    many_site: Site, page_watch: tuple[Any, Watch]
) -> None:
    site, (page, watch) = many_site, page_watch
    page.goto(site.url + "#/?include_one_shot=1")  # one user message each: one-shot sessions
    login(page, site.token)
    rows = page.locator("a[data-session-id]")
    expect(page.locator(".head .count")).to_contain_text(f"{SESSIONS:,} sessions")
    expect(rows.first).to_have_attribute("data-session-id", f"{MACHINE}:many-00000")
    assert 0 < rows.count() <= MOST_ROWS, rows.count()
    assert len(_list_pages(watch)) == 1, _list_pages(watch)  # the first page only

    # Scroll to the end, a screen at a time, as a reader would: each page is asked for once,
    # as its rows come near, and the page never holds more than a window of rows.
    last = f"{MACHINE}:many-{SESSIONS - 1:05d}"
    scroller = page.get_by_test_id("session-list")
    for _ in range(400):
        if page.locator(f'a[data-session-id="{last}"]').count():
            break
        scroller.evaluate("el => { el.scrollTop += el.clientHeight; }")
        page.wait_for_timeout(20)
        assert rows.count() <= MOST_ROWS, rows.count()
    expect(page.locator(f'a[data-session-id="{last}"]')).to_be_visible()
    expect(page.locator('a[data-session-id="laptop:many-00000"]')).to_have_count(0)  # scrolled out
    pages = _list_pages(watch)
    assert len(pages) == SESSIONS // 200, pages
    assert len(set(pages)) == len(pages), "a page was asked for twice"
    watch.check(page)
