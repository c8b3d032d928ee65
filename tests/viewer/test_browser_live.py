"""Live updates while the page is open: a new session appears in the list without a reload,
and a session that grows keeps the reader's place and what they opened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.viewer.browser import Watch, browser, sync_api
from tests.viewer.browser_helpers import (
    MACHINE,
    TOOLS_ID,
    XSS_ID,
    _msg,
    _session,
    push_sessions,
    sha,
    tools_session,
)
from tests.viewer.browser_site import Site, item, login, page_watch, session_href, site

__all__ = ["browser", "page_watch", "site"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser


def _poll_now(page: Any) -> None:
    """What the page does every 10 s while visible (and when it becomes visible): ask for changes."""
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")


def _mark_document(page: Any) -> None:
    page.evaluate("window.__sameDocument = true")


def _same_document(page: Any) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def test_a_session_pushed_while_the_list_is_open_appears_without_reload(
    site: Site, page_watch: tuple[Any, Watch], db
) -> None:
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    rows = page.locator("a[data-session-id]")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-session-id", XSS_ID)
    # What the reader did must survive the refresh: a parent expanded.
    page.get_by_role("button", name="Show 1 child session").click()
    expect(rows).to_have_count(4)
    _mark_document(page)
    page.wait_for_timeout(300)  # the first poll has recorded the current version

    now = datetime.now(UTC)
    sid = "sess-new"
    first = "A session that arrived while the page was open"
    fresh = _session(
        sid,
        "codex",
        "fresh-project",
        first,
        now,
        [
            _msg(sid, 0, "user", first, now),
            _msg(sid, 1, "assistant", "Noted.", now + timedelta(seconds=2)),
            _msg(sid, 2, "user", "Second question", now + timedelta(seconds=4)),
        ],
    )
    push_sessions(db.ingest_dsn, site.device, [fresh], "browser-live-list")
    _poll_now(page)
    expect(rows.first).to_have_attribute("data-session-id", f"{MACHINE}:{sid}")  # newest first
    expect(item(page, f"{MACHINE}:{sid}")).to_contain_text(first)
    expect(rows).to_have_count(5)  # the expanded child is still shown
    expect(page.locator(".head .count")).to_contain_text("5 sessions")  # 4 before
    assert _same_document(page), "the page was reloaded"
    watch.check(page)


def test_a_growing_session_keeps_the_place_and_what_is_open(
    site: Site, page_watch: tuple[Any, Watch], db
) -> None:
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    page.goto(site.url + session_href(TOOLS_ID))
    msgs = page.locator("article.msg")
    expect(msgs).to_have_count(6)
    # Open the thinking, a tool call and its whole result; note where the reader is.
    thinking = page.locator("details.thinking").first
    thinking.locator("summary").click()
    bash = page.locator('details.tool[data-tool="Bash"]')
    bash.locator("summary").click()
    expect(bash.locator(".result")).to_contain_text("pyproject.toml")
    scroller = page.locator("[data-testid=messages]")
    scroller.evaluate("el => el.scrollTo(0, 120)")
    top = scroller.evaluate("el => el.scrollTop")
    assert top == 120, "the view must scroll for this test to mean anything"
    _mark_document(page)

    grown = tools_session(datetime.now(UTC))
    last = grown["messages"][-1]
    grown["messages"].append(
        _msg(
            "sess-tools",
            6,
            "user",
            "And one more thing, pushed while you read.",
            datetime.fromisoformat(last["timestamp"]) + timedelta(seconds=30),
        )
    )
    grown["fingerprint"] = sha("sess-tools", "grown")
    grown["ended_at"] = grown["messages"][-1]["timestamp"]
    push_sessions(db.ingest_dsn, site.device, [grown], "browser-live-session")
    _poll_now(page)
    expect(page.locator(".session-head .meta")).to_contain_text("7 messages")
    expect(page.locator('article.msg[data-ordinal="6"]')).to_contain_text("pushed while you read")
    # The place and what was open stay as they were.
    assert scroller.evaluate("el => el.scrollTop") == top
    assert thinking.get_attribute("open") is not None
    assert bash.get_attribute("open") is not None
    expect(bash.locator(".result")).to_be_visible()
    assert _same_document(page), "the page was reloaded"
    watch.check(page)
