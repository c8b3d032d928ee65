"""What the first screen asks for, and in what order (docs/web.md, "Any size").

- index.html names the app's chunk and the session view's (`<link rel="modulepreload">`), so
  the browser fetches them beside the boot module instead of after it has run;
- a deep link asks for its session and the page holding its message, and nothing else, until
  that message has painted: the children, the cost and the session list come after it;
- the message list opened at a message renders the rows around it first, never the top rows;
- the stylesheet is preloaded, not linked: the boot module's requests do not wait for it, and
  the app mounts only once it has loaded (never unstyled).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.viewer.browser import Watch, browser, sync_api
from tests.viewer.browser_helpers import MACHINE
from tests.viewer.browser_site import (
    Site,
    fulfill,
    login,
    open_signed_in,
    page_watch,
    release,
    session_href,
    wait_a_little_for,
)
from tests.viewer.test_browser_deep_link_wait import STRETCH_THE_FIRST_PAINT_DEADLINE
from tests.viewer.test_viewer_browser import huge_site

if TYPE_CHECKING:
    from tests.pg import TestDatabase

__all__ = ["browser", "huge_site", "page_watch"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser
HUGE_ID = f"{MACHINE}:sess-huge"
QUOTED = HUGE_ID.replace(":", "%3A")
# A string only the app's main chunk holds (web/src/main.ts): how the test knows that chunk.
APP_CHUNK_MARK = "index.html has no #app element"
# ... and one only the session view's chunk holds (web/src/routes/session/SessionPage.svelte).
SESSION_CHUNK_MARK = "Loading session…"


def _signed_in(page: Any, site: Site) -> None:
    page.goto(site.url)
    login(page, site.token)
    page.goto("about:blank")  # a new document next: the page starts afresh, as from a pasted link


def test_the_app_and_session_chunks_are_fetched_while_the_boot_module_is_held(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    site, _ = huge_site
    page, watch = page_watch
    _signed_in(page, site)
    # The boot module: the page's one script element.
    html = page.request.get(site.url).text()
    entry = re.search(r'<script type="module"[^>]* src="\./static/([^"]+\.js)"', html)
    assert entry, html
    boot: list[tuple[Any, Any]] = []
    app_asked: list[str] = []
    session_asked: list[str] = []

    def route_js(route: Any) -> None:
        response = route.fetch()
        if route.request.url.endswith("/" + entry.group(1)):
            boot.append((route, response))  # held: the boot module does not run
            return
        if APP_CHUNK_MARK in response.text():
            app_asked.append(route.request.url)
        if SESSION_CHUNK_MARK in response.text():
            session_asked.append(route.request.url)
        fulfill(route, response)

    page.route("**/static/*.js", route_js)  # routing also turns the HTTP cache off
    page.goto(site.url + session_href(HUGE_ID, 4000), wait_until="commit")
    wait_a_little_for(page, lambda: boot and app_asked and session_asked)
    assert boot, "the boot module was not requested"
    # Asked for by index.html itself: the boot module, which used to ask for them, has not run.
    assert app_asked, "the app's chunk waited for the boot module"
    assert session_asked, "the session view's chunk waited for the boot module"
    assert not page.locator("#shell").count()
    release(boot)
    page.unroute("**/static/*.js")
    expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    watch.check(page)


def test_a_deep_link_asks_for_nothing_else_until_its_message_has_painted(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    site, _ = huge_site
    page, watch = page_watch
    _signed_in(page, site)
    held: list[Any] = []
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/api/v1/" in request.url else None)
    page.route(f"**/api/v1/sessions/{QUOTED}/messages?from=4000*", lambda route: held.append(route))
    page.goto(site.url + session_href(HUGE_ID, 4000))
    # The session has answered and its header shows; its message page is held back.
    expect(page.locator(".session-head h1")).to_be_visible()
    wait_a_little_for(page, lambda: held)
    assert held, "the message page was not asked for"
    early = [url.split("/api/v1/", 1)[1] for url in asked]
    assert not [u for u in early if "/children" in u or "/cost" in u or u.startswith("sessions?")], early
    # Not even the login check (signed in last time, the page draws without it).
    assert not [u for u in early if u.startswith("auth/me")], early
    assert not [u for u in early if "/messages?" in u and "from=4000" not in u], early
    for route in held:
        route.continue_()
    page.unroute(f"**/api/v1/sessions/{QUOTED}/messages?from=4000*")
    expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    # Then the rest comes: the list, the children, the cost, the rows just above the message.
    expect(page.locator("a[data-session-id]").first).to_be_visible()
    expect(page.locator('article.msg[data-ordinal="3999"]')).to_be_attached()
    later = [url.split("/api/v1/", 1)[1] for url in asked]
    assert [u for u in later if "/children" in u] and [u for u in later if "/cost" in u], later
    expect(page.locator("#whoami")).not_to_be_empty()
    assert len([u for u in asked if u.split("/api/v1/", 1)[1].startswith("auth/me")]) == 1, asked
    # ... and the view stays as it is: its message page was asked for once, not again when the
    # first paint was done (an effect depending on that would open the session anew).
    assert len([u for u in later if "/messages?" in u and "from=4000" in u]) == 1, later
    expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    watch.check(page)


def test_the_boot_module_starts_the_data_while_the_stylesheet_is_held(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    site, _ = huge_site
    page, watch = page_watch
    _signed_in(page, site)
    held: list[tuple[Any, Any]] = []

    def hold(route: Any) -> None:
        held.append((route, route.fetch()))

    page.route("**/static/*.css", hold)
    with page.expect_request(lambda r: "/messages?" in r.url and "from=4000" in r.url):
        page.goto(site.url + session_href(HUGE_ID, 4000), wait_until="commit")
    # The message page was asked for while the stylesheet is still held back (a stylesheet
    # linked in the HTML held the boot module, and so every request, until it had loaded) ...
    wait_a_little_for(page, lambda: held)
    assert held, "the stylesheet was not requested"
    # ... and nothing is drawn unstyled meanwhile.
    assert not page.locator("#shell").count()
    release(held)
    page.unroute("**/static/*.css")
    expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    # Styled: the shell's grid from app.css is in force.
    assert page.evaluate("getComputedStyle(document.getElementById('shell')).display") == "grid"
    watch.check(page)


# Records every message row index the page ever rendered, in order.
ROWS_SEEN = """
window.__rowsSeen = [];
new MutationObserver(() => {
  for (const row of document.querySelectorAll('[data-testid=messages] .row[data-index]')) {
    const i = Number(row.dataset.index);
    if (!window.__rowsSeen.includes(i)) window.__rowsSeen.push(i);
  }
}).observe(document, { childList: true, subtree: true });
"""


def test_a_deep_link_renders_the_rows_around_its_message_not_the_top_rows(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    site, _ = huge_site
    page, watch = page_watch
    open_signed_in(page, site, session_href(HUGE_ID, 4000), ROWS_SEEN)
    expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    seen = page.evaluate("window.__rowsSeen")
    # Every row ever rendered is near message 4,000 (the view and its overscan): the list used
    # to lay out rows 0-10 first, as placeholders, then scroll and render again.
    assert seen and min(seen) >= 3900, seen
    watch.check(page)


# Records, at every animation frame from the page's start, whether the shell was on screen
# without the deep-linked message: a frame drawn between the app's mount and its data.
FRAMES_WITHOUT_ROWS = """
window.__shellWithoutMessage = 0;
const look = () => {
  if (document.getElementById("shell") && !document.querySelector('article.msg[data-ordinal="4000"]')) {
    window.__shellWithoutMessage++;
  }
  requestAnimationFrame(look);
};
requestAnimationFrame(look);
"""


STRETCH_THE_DATA_DEADLINE = """
const setTimeoutAsBuilt = window.setTimeout;
window.setTimeout = function (callback, ms, ...args) {
  return setTimeoutAsBuilt.call(this, callback, ms === 300 ? 60000 : ms, ...args);
};
"""


def test_a_deep_link_mounts_once_its_data_has_come_and_draws_it_in_its_first_frame(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    """The app waits for the message page (up to a short deadline, main.ts) as well as for the
    view's code: mounted before it, it drew the shell and the header in one frame and the
    message in a later one (the answer's tasks queued behind that frame)."""
    site, _ = huge_site
    page, watch = page_watch
    _signed_in(page, site)
    page.add_init_script(FRAMES_WITHOUT_ROWS)
    # The app's wait for the data has a deadline (DATA_WAIT_MS, 300 ms in web/src/main.ts), after
    # which it mounts with placeholders (test_browser_deep_link_wait.py). Stretched here, so this
    # test's own steps (holding, looking, releasing) can never outlast it on a slow machine.
    page.add_init_script(STRETCH_THE_DATA_DEADLINE)
    held: list[tuple[Any, Any]] = []
    page.route(
        f"**/api/v1/sessions/{QUOTED}/messages?from=4000*", lambda route: held.append((route, route.fetch()))
    )
    with page.expect_response(lambda r: "/static/session-" in r.url):
        page.goto(site.url + session_href(HUGE_ID, 4000), wait_until="commit")
    wait_a_little_for(page, lambda: held)
    assert held, "the message page was not asked for"
    # The view's code is in, its message page is not: nothing is mounted yet ...
    page.wait_for_timeout(100)
    assert not page.locator("#shell").count()
    # ... and once it comes, the first frame the shell is in shows the message.
    release(held)
    page.unroute(f"**/api/v1/sessions/{QUOTED}/messages?from=4000*")
    expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    assert page.evaluate("window.__shellWithoutMessage") == 0
    watch.check(page)


def test_a_deep_link_marks_its_way_to_the_first_paint_in_order(
    db: TestDatabase, huge_site: tuple[Site, str], page_watch: tuple[Any, Watch]
) -> None:
    """The User Timing marks bench/web_bench.py --timeline prints (web/src/lib/marks.ts): every
    step, in the order the page takes them."""
    site, _ = huge_site
    page, watch = page_watch
    # Past the first paint's 5 s deadline (a loaded machine) the page stops waiting for it, and
    # the marks of a paint it no longer waits for are not set.
    open_signed_in(page, site, session_href(HUGE_ID, 4000), STRETCH_THE_FIRST_PAINT_DEADLINE)
    expect(page.locator('article.msg[data-ordinal="4000"]')).to_be_visible()
    expect(page.locator("#whoami")).not_to_be_empty()  # the login check, after the paint
    marks = page.evaluate(
        "performance.getEntriesByType('mark').filter((m) => m.name.startsWith('av:'))"
        ".map((m) => [m.name, m.startTime])"
    )
    names = [name for name, _ in marks]
    at: dict[str, float] = {}
    for name, when in marks:
        at.setdefault(name, when)  # the first time: firstPaint.placed may run again on a re-scroll
    steps = ["av:boot", "av:app", "av:mount", "av:placed", "av:in-view", "av:auth"]
    assert all(step in at for step in [*steps, "av:data", "av:view-code"]), names
    assert [at[s] for s in steps] == sorted(at[s] for s in steps), marks
    # The boot module asked for the data and the view's code; the mount waits for the code (and
    # for the data, at most 300 ms: not asserted, a loaded machine may take longer).
    assert at["av:boot"] < at["av:data"], marks
    assert at["av:boot"] < at["av:view-code"] <= at["av:mount"], marks
    watch.check(page)
