"""Accessibility beyond the mouse: a keyboard-only walk (Tab, Enter, Esc and the page's keys)
through login, the list, a session, find and export; and AA contrast (axe-core) in every state
of the page, light and dark."""

from __future__ import annotations

from typing import Any

import pytest

from tests.viewer.browser import Watch, axe_violations, browser, open_page, sync_api
from tests.viewer.browser_helpers import TOOLS_ID
from tests.viewer.browser_site import Site, item, login, page_watch, session_href, site

__all__ = ["browser", "page_watch", "site"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser

FOCUSED = "() => { const e = document.activeElement; return e ? e.outerHTML.slice(0, 160) : ''; }"


def tab_to(page: Any, selector: str, *, text: str | None = None, limit: int = 40) -> None:
    """Presses Tab until the focus is on `selector` (with exactly `text`, if given); fails after
    `limit` presses. The stop must show where the focus is (a :focus-visible outline)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "([s, t]) => { const e = document.activeElement;"
            " return !!e && e.matches(s) && (t === null || e.textContent.trim() === t); }",
            [selector, text],
        ):
            outline = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return document.activeElement.matches(':focus-visible') ? s.outlineWidth + ' ' + s.outlineStyle : ''; }"
            )
            assert outline and not outline.endswith("none") and not outline.startswith("0px"), (
                f"no visible focus on {page.evaluate(FOCUSED)}: {outline!r}"
            )
            return
    raise AssertionError(f"Tab never reached {selector}; focus is on {page.evaluate(FOCUSED)}")


def test_keyboard_only_walk(site: Site, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    page.goto(site.url)
    # Login: the token field has the focus; Enter signs in.
    expect(page.locator("#login-token")).to_be_focused()
    page.keyboard.type(site.token)
    page.keyboard.press("Enter")
    expect(page.locator("#shell")).to_be_visible()

    # The list: the filters open and close from the keyboard, a session opens with Enter.
    tab_to(page, "button[aria-controls=session-filters]")
    page.keyboard.press("Enter")
    expect(page.locator("#session-filters")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#session-filters")).to_be_hidden()
    tab_to(page, f'a[data-session-id="{TOOLS_ID}"]')
    page.keyboard.press("Enter")
    msgs = page.locator("article.msg")
    expect(msgs).to_have_count(6)

    # In the session: a thinking block and a tool call open with Enter on their summaries.
    tab_to(page, "details.thinking > summary")
    page.keyboard.press("Enter")
    expect(page.locator("details.thinking").first).to_have_attribute("open", "")
    tab_to(page, 'details.tool[data-tool="Bash"] > summary')
    page.keyboard.press("Enter")
    expect(page.locator('details.tool[data-tool="Bash"] .result')).to_contain_text("pyproject.toml")

    # Find: `f` opens it with the cursor in the box; Enter finds, Enter steps; Esc closes it and
    # gives the focus back to the Find button (not to the page's body, where a reader is lost).
    page.keyboard.press("f")
    expect(page.locator("#find-input")).to_be_focused()
    page.keyboard.type("files")
    page.keyboard.press("Enter")
    expect(page.locator(".find .count")).to_contain_text(" of ")
    page.keyboard.press("Escape")
    expect(page.locator("#find-input")).to_have_count(0)
    expect(page.get_by_role("button", name="Find", exact=True)).to_be_focused()
    expect(msgs).to_have_count(6)  # Esc in find closed find, and did not leave the session

    # Export from the keyboard: Markdown, with Enter.
    tab_to(page, "button", text="Markdown")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".md")
    # The focus stays on the button while and after it exports (a disabled button drops it).
    expect(page.get_by_role("button", name="Markdown")).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="Exporting")).to_have_count(0)

    # The shortcut help opens with ? and closes with Esc; Esc then leaves the session.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    page.keyboard.press("Escape")
    expect(msgs).to_have_count(0)
    expect(item(page, TOOLS_ID)).to_be_visible()
    watch.check(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_aa_contrast_in_every_state(site: Site, browser: Any, scheme: str) -> None:
    """axe-core's WCAG 2 A/AA rules (colour contrast among them) with nothing serious, in each
    state a reader meets, in the theme the system asks for."""
    context, page, watch = open_page(browser, color_scheme=scheme)
    try:
        page.goto(site.url)
        expect(page.locator("#login-token")).to_be_visible()
        page.fill("#login-token", "avv_wrong")
        page.click("#login-submit")
        expect(page.locator("#login-error")).to_be_visible()  # the error's colour too
        assert not axe_violations(page), ("login", axe_violations(page))
        login(page, site.token)
        assert page.evaluate("document.documentElement.dataset.theme") == "system"

        # The list grouped by project, with the filters open and a parent expanded.
        page.goto(site.url + "#/?group=project")
        page.get_by_role("button", name="Filters").click()
        page.get_by_role("button", name="Show 1 child session").click()
        expect(page.locator("#session-filters")).to_be_visible()
        assert not axe_violations(page), ("list", axe_violations(page))

        # A session with its thinking, tools and results open, the find bar showing a match,
        # the current message marked.
        page.goto(site.url + session_href(TOOLS_ID, 1))
        expect(page.locator("article.msg")).to_have_count(6)
        for summary in page.locator("details > summary").all():
            summary.click()
        page.get_by_role("button", name="Find", exact=True).click()
        page.fill("#find-input", "files")
        page.press("#find-input", "Enter")
        expect(page.locator(".find .count")).to_contain_text(" of ")
        assert not axe_violations(page), ("session", axe_violations(page))

        # The shortcut help over the page (find closed first: `?` typed in its box is text).
        page.press("#find-input", "Escape")
        page.keyboard.press("?")
        expect(page.get_by_role("dialog")).to_be_visible()
        assert not axe_violations(page), ("help", axe_violations(page))
        watch.check(page)
    finally:
        context.close()
