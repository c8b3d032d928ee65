"""The search page says when the API's answer was bounded: more texts matched than the newest
SEARCH_WINDOW that are ranked and paged (`truncated`), and how far back those reach
(`looked_back_to`). One session with SEARCH_WINDOW + 5 matching messages, one a minute, so the
window's oldest text is known: the 6th message, 5 minutes after the first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from infra.credentials import add_device, add_viewer
from tests.pg import PgServer, create_database, drop_database
from tests.viewer.browser import Watch, axe_violations, browser, sync_api
from tests.viewer.browser_helpers import push_sessions, serve_viewer, sha
from tests.viewer.insights_site import Site, login, page_watch
from viewer_fn.queries_search import SEARCH_WINDOW

__all__ = ["browser", "page_watch"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser
START = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
EXTRA = 5


def _crowded_session() -> dict[str, Any]:
    messages = [
        {
            "ordinal": i,
            "role": "user" if i % 2 == 0 else "assistant",
            "content": f"needle number {i}",
            "timestamp": (START + timedelta(minutes=i)).isoformat(),
            "chain_hash": sha("crowded", i),
        }
        for i in range(SEARCH_WINDOW + EXTRA)
    ]
    return {
        "session_id": "crowded-1",
        "agent": "claude",
        "project": "haystack",
        "first_message": messages[0]["content"],
        "started_at": messages[0]["timestamp"],
        "ended_at": messages[-1]["timestamp"],
        "fingerprint": sha("crowded", len(messages)),
        "messages": messages,
    }


@pytest.fixture(scope="module")
def site(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db = create_database(pg_server)
    try:
        with db.admin() as conn:
            device = add_device(conn, machine="laptop")
            viewer = add_viewer(conn, name="alice")
        push_sessions(db.ingest_dsn, device.token, [_crowded_session()], "bounded-search")
        with serve_viewer(db.viewer_dsn, tmp_path_factory.mktemp("tls")) as served:
            yield Site(served.url, viewer.token)
    finally:
        drop_database(db)


def test_a_bounded_answer_says_so_and_how_far_back(site: Site, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    login(page, site, "#/search?q=needle&sort=recent")
    expect(page.locator("a.hit").first).to_have_attribute("data-ordinal", str(SEARCH_WINDOW + EXTRA - 1))
    bounded = page.locator("#search-bounded")
    oldest = START + timedelta(minutes=EXTRA)
    expect(bounded).to_contain_text(f"More texts match than the {SEARCH_WINDOW:,} newest")
    # the window's oldest text's time, as the page writes times (YYYY-MM-DD HH:MM on the reader's clock)
    offset = page.evaluate("(iso) => -new Date(iso).getTimezoneOffset()", oldest.isoformat())
    expect(bounded).to_contain_text(f"reach back to {oldest + timedelta(minutes=offset):%Y-%m-%d %H:%M}.")
    assert not axe_violations(page), axe_violations(page)
    # A search that matches less than the window is not bounded.
    page.goto(f"{site.url}#/search?q=" + quote('"needle number 17"'))
    expect(page.locator("a.hit")).to_have_count(1)
    expect(page.locator("#search-bounded")).to_have_count(0)
    watch.check(page)
