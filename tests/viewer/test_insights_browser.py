"""The search page and the analytics dashboard in headless Chromium against the real apps.

A fixed data set (tests/viewer/insights_data.py: four sessions on two machines in March 2026,
figures small enough to compute by hand) goes in once per module through the real ingest app;
the real viewer serves it over TLS. Every test fails on a console error, a failed request, a
dialog or a CSP violation (the harness's watch), and runs axe-core where a page is complete.
With AV_SCREENSHOTS=1 the run refreshes docs/screenshots/search*.png and analytics*.png.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.viewer.browser import Watch, axe_violations, browser, open_page, shoot, sync_api
from tests.viewer.insights_data import (
    ALPHA_ID,
    BETA_ID,
    DESKTOP,
    GAMMA_ID,
    MESSAGES,
    SESSIONS,
    ZEBRA_ID,
    ZEBRA_MESSAGES,
)
from tests.viewer.insights_site import (
    MARCH,
    Site,
    download_csv,
    login,
    page_watch,
    panel,
    read_exactly,
    site,
)

__all__ = ["browser", "page_watch", "site"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser
TAKE_SCREENSHOTS = os.environ.get("AV_SCREENSHOTS") == "1"


def search(page: Any, site: Site, query: str) -> None:
    """Opens the search page at a URL query (as a pasted link would)."""
    page.goto(f"{site.url}#/search?{query}")


def groups(page: Any) -> Any:
    return page.locator("li.group")


def hits(page: Any) -> Any:
    return page.locator("a.hit")


def open_filters(page: Any) -> None:
    """Opens the search filters unless they are open (the page keeps them open across searches)."""
    if not page.locator("#search-to").is_visible():
        page.locator("#main").get_by_role("button", name=re.compile("^Filters")).click()
    expect(page.locator("#search-to")).to_be_visible()


def session_ids(page: Any) -> list[str]:
    return [g.get_attribute("data-session-id") for g in groups(page).all()]


# ---------------------------------------------------------------------------------------- search


def test_search_words_phrases_exclusions_prefixes_and_substrings(
    site: Site, page_watch: tuple[Any, Watch]
) -> None:
    page, watch = page_watch
    login(page, site)

    # Ctrl+K from anywhere, even while typing in a field, opens search with the box focused.
    page.get_by_role("complementary", name="Sessions").get_by_role(
        "button", name=re.compile("^Filters")
    ).click()
    page.locator("#pick-project").focus()
    page.keyboard.press("Control+k")
    expect(page).to_have_url(re.compile(r"#/search"))
    box = page.locator("#search-q")
    expect(box).to_be_focused()

    # Words: every word must occur; hits grouped by session, in the answer's order.
    box.fill("database")
    box.press("Enter")
    expect(page.locator("#search-count")).to_contain_text("in 3 sessions")
    assert sorted(session_ids(page)) == sorted([ALPHA_ID, BETA_ID, GAMMA_ID])
    expect(page.locator("li.group mark").first).to_have_text(re.compile("database", re.I))
    assert "q=database" in page.url
    assert not axe_violations(page), axe_violations(page)

    # The syntax explains itself under the box.
    box.fill('"migrate the database" -arm64 zeb*')
    help_ = page.locator("#search-help")
    expect(help_.locator(".term-phrase")).to_contain_text("migrate the database")
    expect(help_.locator(".term-exclude")).to_contain_text("arm64")
    expect(help_.locator(".term-prefix")).to_contain_text("zeb")

    # A phrase: the words in order.
    search(page, site, "q=" + quote('"migrate the database"'))
    expect(groups(page)).to_have_count(1)
    assert session_ids(page) == [ALPHA_ID]
    # An exclusion drops the codex session's hit.
    search(page, site, "q=" + quote("database -arm64"))
    expect(groups(page)).to_have_count(2)
    assert BETA_ID not in session_ids(page)
    # A prefix.
    search(page, site, "q=" + quote("zebr*") + "&sort=recent")
    expect(groups(page)).to_have_count(1)
    assert session_ids(page) == [ZEBRA_ID]

    # Substring mode: a path inside a word, and CJK.
    search(page, site, "q=" + quote("db_pool.py") + "&mode=substring")
    expect(groups(page)).to_have_count(1)
    expect(hits(page).first).to_contain_text("db_pool.py")
    roles = page.locator("a.hit .role").all_inner_texts()
    assert "Edit output" in roles and "assistant" in roles, roles  # the message and the tool output
    search(page, site, "q=" + quote("迁移") + "&mode=substring")
    expect(hits(page)).to_have_count(1)
    expect(hits(page).first.locator("mark")).to_have_text("迁移")
    expect(page.locator("#search-mode")).to_have_value("substring")

    # No match says so.
    search(page, site, "q=" + quote("nothing-like-this-anywhere"))
    expect(page.locator("#search-empty")).to_contain_text("No match")
    watch.check(page)


def test_search_filters_sort_and_paging(site: Site, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    login(page, site, "#/search?q=database")
    expect(groups(page)).to_have_count(3)

    # Filters come from the server's lists (typeahead) and go to the URL.
    page.locator("#main").get_by_role("button", name=re.compile("^Filters")).click()
    page.fill("#pick-agent", "codex")
    page.press("#pick-agent", "Enter")
    expect(groups(page)).to_have_count(1)
    assert session_ids(page) == [BETA_ID]
    assert "agent=codex" in page.url
    page.get_by_role("button", name="Remove agent codex").click()
    expect(groups(page)).to_have_count(3)
    page.fill("#pick-machine", DESKTOP)
    page.press("#pick-machine", "Enter")
    expect(groups(page)).to_have_count(1)
    assert session_ids(page) == [GAMMA_ID]
    search(page, site, "q=database&project=alpha")
    expect(groups(page)).to_have_count(2)
    assert sorted(session_ids(page)) == sorted([ALPHA_ID, GAMMA_ID])
    # Who wrote it: the users' texts alone.
    search(page, site, "q=database&role=user")
    expect(groups(page)).to_have_count(2)
    assert sorted(session_ids(page)) == sorted([ALPHA_ID, GAMMA_ID])
    expect(page.locator("a.hit .role")).to_have_text(["user", "user"])
    # Tool outputs, chosen on the page: the Edit's output, not the assistant's message.
    search(page, site, "q=" + quote("db_pool.py") + "&mode=substring")
    expect(hits(page)).to_have_count(2)
    open_filters(page)
    page.get_by_label("Tool output").check()
    expect(hits(page)).to_have_count(1)
    expect(hits(page).first.locator(".role")).to_have_text("Edit output")
    assert "role=tool" in page.url
    # Days of the text's own time (UTC): gamma-1 on the 5th; alpha-1 and beta-1 up to the 4th.
    search(page, site, "q=database&since=2026-03-05")
    expect(groups(page)).to_have_count(1)
    expect(groups(page)).to_have_attribute("data-session-id", GAMMA_ID)
    search(page, site, "q=database&until=2026-03-04")
    expect(groups(page)).to_have_count(2)
    assert sorted(session_ids(page)) == sorted([ALPHA_ID, BETA_ID])
    open_filters(page)
    expect(page.locator("#search-to")).to_have_value("2026-03-04")

    # Newest first: the zebra session's last message leads.
    search(page, site, "q=zebra&sort=recent")
    expect(page.locator("#search-sort")).to_have_value("recent")
    first = hits(page).first
    expect(first).to_have_attribute("data-ordinal", str(ZEBRA_MESSAGES - 1))
    # Paging: 50 per page, then "More results" appends the rest.
    expect(hits(page)).to_have_count(50)
    expect(page.locator("#search-count")).to_contain_text("50+ matches in 1 session")
    page.click("#search-more")
    expect(hits(page)).to_have_count(ZEBRA_MESSAGES)
    expect(page.locator("#search-more")).to_have_count(0)
    expect(page.locator("#search-count")).to_contain_text(f"{ZEBRA_MESSAGES} matches in 1 session")
    watch.check(page)


def test_a_hit_opens_the_session_at_that_message(site: Site, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    login(page, site, "#/search?q=" + quote("zebra 47"))
    hit = hits(page).first
    expect(hit).to_have_attribute("data-ordinal", "47")
    hit.click()
    expect(page).to_have_url(re.compile(re.escape(f"#/s/{quote(ZEBRA_ID, safe='')}/m/47")))
    target = page.locator('article.msg[data-ordinal="47"]')
    expect(target).to_have_class(re.compile(r"\btarget\b"))
    expect(target).to_be_in_viewport()
    expect(page.locator('article.msg[data-ordinal="0"]')).not_to_be_in_viewport()
    # Back returns to the same search.
    page.go_back()
    expect(page.locator("#search-q")).to_have_value("zebra 47")
    expect(hits(page)).to_have_count(1)
    watch.check(page)


def test_search_at_phone_width_and_dark(site: Site, browser: Any) -> None:
    for scheme, name in (("light", "search.png"), ("dark", "search-dark.png")):
        context, page, watch = open_page(browser, color_scheme=scheme)
        try:
            login(page, site, "#/search?q=database")
            expect(groups(page)).to_have_count(3)
            assert not axe_violations(page), axe_violations(page)
            shoot(page, name, TAKE_SCREENSHOTS)
            watch.check(page)
        finally:
            context.close()
    context, page, watch = open_page(browser, width=375, height=740)
    try:
        login(page, site, "#/search?q=database")
        expect(groups(page)).to_have_count(3)
        expect(page.locator("#search-q")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways at 375 px ({width} px wide)"
        assert not axe_violations(page), axe_violations(page)
        shoot(page, "search-phone.png", TAKE_SCREENSHOTS)
        watch.check(page)
    finally:
        context.close()


# ------------------------------------------------------------------------------------- analytics


def test_analytics_with_data(site: Site, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    login(page, site, f"#/analytics?{MARCH}")
    cards = panel(page, "summary")
    expect(cards.locator('[data-metric="sessions"]')).to_have_text(str(SESSIONS))
    expect(cards.locator('[data-metric="messages"]')).to_have_text(str(MESSAGES))
    # The calendar has a square per day; the four start days are shaded.
    calendar = panel(page, "calendar")
    expect(calendar.locator(".cell[data-date]")).to_have_count(31)
    for day in ("2026-03-02", "2026-03-04", "2026-03-05", "2026-03-07"):
        assert "l0" not in (calendar.locator(f'.cell[data-date="{day}"]').get_attribute("class") or "")
    expect(calendar.locator('.cell[data-date="2026-03-03"]')).to_have_class(re.compile(r"\bl0\b"))
    # Every chart panel draws (Chart.js canvases, loaded lazily) without a CSP report.
    for chart in (
        "timeline",
        "projects",
        "agents",
        "machines",
        "tools",
        "tokens-model",
        "tokens-day",
        "shape",
    ):
        expect(panel(page, chart).locator("canvas").first).to_be_visible()
    top = panel(page, "top-sessions")
    expect(top.locator("li")).to_have_count(SESSIONS)
    expect(top.locator("li a").first).to_have_attribute("href", f"#/s/{quote(ZEBRA_ID, safe='')}")
    # Velocity's rows name each group and its sessions, a space on each side of the dot.
    velocity_rows = panel(page, "velocity").locator("tbody th")
    expect(velocity_rows.filter(has_text="claude")).to_have_text(re.compile(r"^claude · \d+$"))
    # A table view shows the same numbers as the CSV.
    panel(page, "agents").get_by_role("button", name="Table").click()
    expect(panel(page, "agents").locator("tbody tr")).to_have_count(2)
    expect(panel(page, "agents").locator("tbody tr").first).to_contain_text("claude")
    assert not axe_violations(page), axe_violations(page)
    watch.check(page)


def test_csv_downloads_hold_the_numbers(site: Site, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    login(page, site, f"#/analytics?{MARCH}")
    expect(panel(page, "summary").locator('[data-metric="sessions"]')).to_have_text(str(SESSIONS))
    # claude: alpha-1 (4), gamma-1 (4), zebra-1 (60); codex: beta-1 (4)
    assert download_csv(page, "agents") == "agent,sessions,messages\r\nclaude,3,68\r\ncodex,1,4\r\n"
    machines = download_csv(page, "machines")
    assert machines == "machine,sessions,messages\r\ndesktop,2,64\r\nlaptop,2,8\r\n"
    tokens = download_csv(page, "tokens-model").splitlines()
    assert tokens[0] == ("model,input tokens,output tokens,cache write tokens,cache read tokens,messages")
    assert sorted(tokens[1:]) == sorted(
        [
            "claude-sonnet-4-5,1500,300,2000,5000,2",
            "gpt-5,2100,350,0,1000,2",
            "mystery-model-x,700,70,0,0,1",
        ]
    )
    hours = download_csv(page, "hour-of-week").splitlines()
    assert len(hours) == 1 + 168
    # alpha-1: four messages on Monday at 14 h UTC
    assert "Monday,14,4" in hours
    watch.check(page)


def test_hour_of_week_click_filters_the_dashboard(site: Site, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    login(page, site, f"#/analytics?{MARCH}")
    sessions = panel(page, "summary").locator('[data-metric="sessions"]')
    expect(sessions).to_have_text(str(SESSIONS))
    cell = page.locator('#hour-of-week button.cell[data-dow="0"][data-hour="14"]')
    expect(cell).to_have_attribute("aria-label", "Mondays 14:00–15:00: 4 messages")
    cell.click()
    expect(page).to_have_url(re.compile(r"dow=0&hour=14|hour=14&dow=0"))
    expect(sessions).to_have_text("1")  # alpha-1 alone started then
    expect(
        page.get_by_role("button", name=re.compile("Remove filter: started Mondays 14:00"))
    ).to_be_visible()
    expect(page.locator('#hour-of-week button.cell[data-dow="0"][data-hour="14"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    # Arrow keys move between cells (one tab stop).
    page.locator('#hour-of-week button.cell[data-dow="0"][data-hour="14"]').focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator('#hour-of-week button.cell[data-dow="0"][data-hour="15"]')).to_be_focused()
    # Pressed again, it clears.
    page.locator('#hour-of-week button.cell[data-dow="0"][data-hour="14"]').click()
    expect(sessions).to_have_text(str(SESSIONS))
    assert "dow=" not in page.url
    watch.check(page)


def test_analytics_empty_range(site: Site, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    login(page, site, "#/analytics?from=2020-01-01&to=2020-01-31&tz=UTC")
    for panel_id in (
        "summary",
        "calendar",
        "timeline",
        "hour-of-week",
        "projects",
        "agents",
        "machines",
        "tools",
        "tokens-model",
        "tokens-day",
        "shape",
        "velocity",
        "top-sessions",
    ):
        expect(panel(page, panel_id).locator(".empty")).to_be_visible()
    expect(page.locator("section canvas")).to_have_count(0)
    # The empty CSV still has its header (once the answer is in, and before).
    expect(panel(page, "agents")).to_have_attribute("aria-busy", "false")
    with page.expect_download() as info:
        panel(page, "agents").locator("button.csv").click()
    assert read_exactly(info.value.path()) == "agent,sessions,messages\r\n"
    assert not axe_violations(page), axe_violations(page)
    watch.check(page)


def test_a_panel_waiting_for_its_answer_keeps_aa_contrast(site: Site, page_watch: tuple[Any, Watch]) -> None:
    # A panel whose newer answer is on its way used to be dimmed to 60 % opacity, which took its
    # title and buttons below AA contrast (found by a flaky axe check on a loaded machine).
    page, watch = page_watch
    held: list[Any] = []
    heatmap = re.compile(r"/api/v1/analytics/heatmap\?")
    page.route(heatmap, lambda route: held.append(route))
    login(page, site, "#/analytics?from=2020-01-01&to=2020-01-31&tz=UTC")
    calendar = panel(page, "calendar")
    expect(calendar).to_have_attribute("aria-busy", "true")
    expect(calendar.locator(".updating")).to_have_text("Updating…")
    expect(panel(page, "agents")).to_have_attribute("aria-busy", "false")
    assert held, "the calendar's request was not held"
    assert not axe_violations(page), axe_violations(page)
    for route in held:
        route.continue_()
    page.unroute(heatmap)
    expect(calendar).to_have_attribute("aria-busy", "false")
    expect(calendar.locator(".updating")).to_have_count(0)
    watch.check(page)


def test_analytics_range_time_zone_and_themes(site: Site, browser: Any) -> None:
    for scheme, name in (("light", "analytics.png"), ("dark", "analytics-dark.png")):
        context, page, watch = open_page(browser, color_scheme=scheme, height=1400)
        try:
            login(page, site, f"#/analytics?{MARCH}")
            expect(panel(page, "summary").locator('[data-metric="sessions"]')).to_have_text(str(SESSIONS))
            expect(panel(page, "timeline").locator("canvas")).to_be_visible()
            assert not axe_violations(page), axe_violations(page)
            shoot(page, name, TAKE_SCREENSHOTS)
            watch.check(page)
        finally:
            context.close()

    context, page, watch = open_page(browser, width=375, height=740)
    try:
        login(page, site, f"#/analytics?{MARCH}")
        sessions = panel(page, "summary").locator('[data-metric="sessions"]')
        expect(sessions).to_have_text(str(SESSIONS))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways at 375 px ({width} px wide)"
        assert not axe_violations(page), axe_violations(page)
        shoot(page, "analytics-phone.png", TAKE_SCREENSHOTS)
        # A time zone moves days: gamma-1 starts Thu 22:30 UTC, Fri 07:30 in Tokyo.
        page.select_option("#range-tz", "Asia/Tokyo")
        expect(page).to_have_url(re.compile("tz=Asia%2FTokyo|tz=Asia/Tokyo"))
        calendar = panel(page, "calendar")
        expect(calendar.locator('.cell[data-date="2026-03-06"]')).not_to_have_class(re.compile(r"\bl0\b"))
        # A preset range: the last 7 days (no session there).
        page.get_by_role("button", name="7 days").click()
        expect(page.get_by_role("button", name="7 days")).to_have_attribute("aria-pressed", "true")
        expect(panel(page, "summary").locator(".empty")).to_be_visible()
        watch.check(page)
    finally:
        context.close()
