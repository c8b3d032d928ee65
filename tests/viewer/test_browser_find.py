"""Find in a session marks the matched text itself (CSS Custom Highlight API), opens the collapsed
block (thinking, a tool call) that holds the current match, and counts "n of m"."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.viewer.browser import Watch, browser, sync_api
from tests.viewer.browser_helpers import TOOLS_ID
from tests.viewer.browser_site import Site, login, page_watch, release, session_href, site, wait_a_little_for

__all__ = ["browser", "page_watch", "site"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser

MARKED = """(name) => { const h = CSS.highlights.get(name);
  return h ? [...h].map((r) => [r.toString(), r.startContainer.parentElement.closest('details, .md, pre')?.className ?? '']) : []; }"""


def marked(page: Any, name: str) -> list[list[str]]:
    return list(page.evaluate(MARKED, name))


def find(page: Any, q: str) -> None:
    page.fill("#find-input", q)
    page.press("#find-input", "Enter")


def test_find_marks_the_match_and_opens_its_block(site: Site, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    page.goto(site.url + session_href(TOOLS_ID))
    expect(page.locator("article.msg")).to_have_count(6)
    bash = page.locator('details.tool[data-tool="Bash"]')
    thinking = page.locator("details.thinking").first
    expect(bash).not_to_have_attribute("open", "")
    expect(thinking).not_to_have_attribute("open", "")
    page.get_by_role("button", name="Find", exact=True).click()

    # A match inside a collapsed tool result: the tool call opens, the word itself is marked.
    find(page, "PYPROJECT")
    expect(page.locator(".find .count")).to_have_text("1 of 1 message")
    expect(bash).to_have_attribute("open", "")
    page.wait_for_function("() => CSS.highlights.get('av-find-current')?.size === 1")
    assert [text for text, _ in marked(page, "av-find-current")] == ["pyproject"]
    expect(thinking).not_to_have_attribute("open", "")

    # Two matches in one message (its thinking and its tool result): the thinking opens, and the
    # count says which of the two is current; the next step goes to the second, in the result.
    find(page, "readme")
    expect(thinking).to_have_attribute("open", "")
    expect(page.locator(".find .count")).to_have_text("1 of 1 message · 1 of 2 in it")
    page.wait_for_function("() => CSS.highlights.get('av-find-current')?.size === 1")
    ((text, where),) = marked(page, "av-find-current")
    assert text == "README" and "md" in where, (text, where)
    assert sorted(t for t, _ in marked(page, "av-find")) == ["README", "README"]
    page.press("#find-input", "Enter")
    expect(page.locator(".find .count")).to_have_text("1 of 1 message · 2 of 2 in it")
    page.wait_for_function(
        "() => [...(CSS.highlights.get('av-find-current') ?? [])].some((r) => r.startContainer.parentElement.closest('pre.result'))"
    )

    # Closing find clears the marks.
    page.press("#find-input", "Escape")
    page.wait_for_function("() => (CSS.highlights.get('av-find')?.size ?? 0) === 0")
    watch.check(page)


def test_a_search_hit_in_a_tool_result_opens_it_and_marks_the_match(
    site: Site, page_watch: tuple[Any, Watch]
) -> None:
    """A hit in a collapsed tool call used to open its message with the block shut: the match
    was nowhere to be seen. The hit's link carries the matched text (`find=`), and the session's
    find runs with it from that message once it has painted."""
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    page.goto(site.url + "#/search?q=pyproject")
    hit = page.locator("a.hit").first
    expect(hit).to_contain_text("Bash output")
    assert "find=pyproject" in (hit.get_attribute("href") or "")
    hit.click()
    bash = page.locator('details.tool[data-tool="Bash"]')
    expect(bash).to_have_attribute("open", "")
    expect(page.locator("#find-input")).to_have_value("pyproject")
    expect(page.locator(".find .count")).to_have_text("1 of 1 message")
    page.wait_for_function("() => CSS.highlights.get('av-find-current')?.size === 1")
    assert [text for text, _ in marked(page, "av-find-current")] == ["pyproject"]
    # The reader is reading, not typing: the keys stay theirs (j moves to the next message).
    assert page.evaluate("document.activeElement?.id") != "find-input"
    watch.check(page)


def test_leaving_before_a_hits_find_answers_stays_left(site: Site, page_watch: tuple[Any, Watch]) -> None:
    """A reader who goes Back before the session's find has answered stays on the search page:
    the late answer used to step to its match and so navigate them back to the session."""
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    page.goto(site.url + "#/search?q=pyproject")
    hit = page.locator("a.hit").first
    expect(hit).to_be_visible()
    held: list[tuple[Any, Any]] = []
    in_session = re.compile(r"/api/v1/sessions/[^/?]+/search\?")
    page.route(in_session, lambda route: held.append((route, route.fetch())))
    hit.click()
    wait_a_little_for(page, lambda: held)
    assert held, "the session's find was not asked for"
    page.go_back()
    expect(page.locator("#search-q")).to_have_value("pyproject")
    release(held)
    page.unroute(in_session)
    page.wait_for_timeout(500)  # what a late step would do, it has done by now
    assert "#/search?q=pyproject" in page.url, page.url
    expect(page.locator("#search-q")).to_have_value("pyproject")
    watch.check(page)
