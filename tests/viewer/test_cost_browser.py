"""The dashboard's cost section in headless Chromium, checked against figures computed by hand.

Published prices (USD per million tokens): Claude Sonnet 4.5 input 3, output 15, cache write
3.75, cache read 0.30; GPT-5 input 1.25, output 10, cache read 0.125. The data set
(tests/viewer/insights_data.py):

  alpha-1 (laptop, alpha, 2026-03-02) claude-sonnet-4-5
    in 1,000, out 200, cache read 5,000, cache write 2,000
      = 1000*3 + 200*15 + 5000*0.30 + 2000*3.75 = 15,000 µ$
    in 500, out 100 = 500*3 + 100*15             =  3,000 µ$   -> session 0.018
  beta-1 (laptop, beta, 2026-03-04) gpt-5
    in 2,000, out 300, cache read 1,000 = 2000*1.25 + 300*10 + 1000*0.125 = 5,625 µ$
    in 100, out 50 = 100*1.25 + 50*10                                     =   625 µ$ -> 0.00625
  gamma-1 (desktop, alpha, 2026-03-05) mystery-model-x in 700, out 70: no price -> unpriced
  zebra-1: no usage

  total 0.02425 over 4 priced responses, 1 unpriced; laptop 0.02425; desktop unpriced;
  project alpha 0.018 (and 1 unpriced response), beta 0.00625.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.viewer.browser import Watch, axe_violations, browser, open_page, shoot, sync_api
from tests.viewer.insights_data import ALPHA_ID, BETA_ID, GAMMA_ID
from tests.viewer.insights_site import MARCH, download_csv, login, page_watch, panel, site

__all__ = ["browser", "page_watch", "site"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser

TAKE_SCREENSHOTS = os.environ.get("AV_SCREENSHOTS") == "1"
HEAD = "usd,responses,unpriced responses,input tokens,output tokens,cache write tokens,cache read tokens"


def test_cost_figures_match_the_hand_computed_ones(site: Any, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    login(page, site, f"#/analytics?{MARCH}")
    cost = panel(page, "cost")
    # A lower bound: the unpriced model is left out, and the card says so.
    expect(cost.locator('[data-metric="cost-total"]')).to_have_text("≥ $0.024")
    expect(cost.locator('[data-metric="cost-priced"]')).to_have_text("4")
    expect(cost.locator('[data-metric="cost-unpriced"]')).to_have_text("1")
    expect(cost.get_by_test_id("cost-unpriced-models")).to_contain_text(
        "mystery-model-x (1 response, 770 tokens)"
    )
    # The price table and its date are named.
    expect(cost.locator(".note")).to_have_text(
        re.compile(r"Prices: genai-prices \d+\.\d+\.\d+, table checked up to \d{4}-\d{2}-\d{2}\.")
    )
    for chart in ("cost-model", "cost-day", "cost-project", "cost-machine"):
        expect(panel(page, chart).locator("canvas")).to_be_visible()

    # Exact figures in the CSVs; an unknown price is "unpriced", never 0.
    assert download_csv(page, "cost-model") == (
        f"model,{HEAD}\r\n"
        "claude-sonnet-4-5,0.018,2,0,1500,300,2000,5000\r\n"
        "gpt-5,0.00625,2,0,2100,350,0,1000\r\n"
        "mystery-model-x,unpriced,1,1,700,70,0,0\r\n"
    )
    assert download_csv(page, "cost-machine") == (
        f"machine,{HEAD}\r\nlaptop,0.02425,4,0,3600,650,2000,6000\r\ndesktop,unpriced,1,1,700,70,0,0\r\n"
    )
    assert download_csv(page, "cost-project") == (
        f"project,{HEAD}\r\nalpha,0.018,3,1,2200,370,2000,5000\r\nbeta,0.00625,2,0,2100,350,0,1000\r\n"
    )
    days = download_csv(page, "cost-day").splitlines()
    assert len(days) == 1 + 31  # every day of March, zeros included
    assert "2026-03-02,0.018,2,0,1500,300,2000,5000" in days
    assert "2026-03-03,0,0,0,0,0,0,0" in days
    assert "2026-03-04,0.00625,2,0,2100,350,0,1000" in days
    assert "2026-03-05,unpriced,1,1,700,70,0,0" in days
    totals = download_csv(page, "cost").splitlines()
    assert totals[1:] == [
        "all,0.02425,5,1,4300,720,2000,6000",
        "unpriced model: mystery-model-x,unpriced,1,1,700,70,0,0",
    ]

    # The most expensive sessions, each a link to its session.
    sessions = panel(page, "cost-sessions")
    expect(sessions.locator("li")).to_have_count(3)
    expect(sessions.locator(f'.usd[data-session-id="{ALPHA_ID}"]')).to_have_text("$0.018")
    expect(sessions.locator(f'.usd[data-session-id="{BETA_ID}"]')).to_have_text("$0.0063")
    expect(sessions.locator(f'.usd[data-session-id="{GAMMA_ID}"]')).to_have_text("unpriced")
    expect(sessions.locator("li a").first).to_have_attribute("href", f"#/s/{quote(ALPHA_ID, safe='')}")
    assert not axe_violations(page), axe_violations(page)
    watch.check(page)


def test_cost_follows_the_filter(site: Any, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    # The desktop alone has only unpriced usage: no dollar figure at all, not $0.
    login(page, site, f"#/analytics?{MARCH}&machine=desktop")
    cost = panel(page, "cost")
    expect(cost.locator('[data-metric="cost-total"]')).to_have_text("unpriced")
    expect(cost.locator('[data-metric="cost-priced"]')).to_have_text("0")
    # The laptop alone is fully priced: an exact figure, no "≥".
    page.goto(f"{site.url}#/analytics?{MARCH}&machine=laptop")
    expect(cost.locator('[data-metric="cost-total"]')).to_have_text("$0.024")
    expect(cost.get_by_test_id("cost-unpriced-models")).to_have_count(0)
    # A range without usage: every cost panel says so.
    page.goto(f"{site.url}#/analytics?from=2020-01-01&to=2020-01-31&tz=UTC")
    for panel_id in ("cost", "cost-model", "cost-day", "cost-project", "cost-machine", "cost-sessions"):
        expect(panel(page, panel_id).locator(".empty")).to_have_text(
            "No token usage in this range, so nothing to price."
        )
    watch.check(page)


def test_cost_section_light_dark_and_phone(site: Any, browser: Any) -> None:
    for scheme, name, width in (
        ("light", "cost.png", 1280),
        ("dark", "cost-dark.png", 1280),
        ("light", "cost-phone.png", 375),
    ):
        context, page, watch = open_page(browser, color_scheme=scheme, width=width, height=1000)
        try:
            login(page, site, f"#/analytics?{MARCH}")
            cost = panel(page, "cost")
            expect(cost.locator('[data-metric="cost-total"]')).to_have_text("≥ $0.024")
            expect(panel(page, "cost-day").locator("canvas")).to_be_visible()
            # the cost section's top just under the dashboard's sticky range bar
            page.locator(".dash").evaluate(
                "el => { el.scrollTop += document.querySelector('section#cost').getBoundingClientRect().top"
                " - el.querySelector('.top').getBoundingClientRect().bottom - 8 }"
            )
            if width < 400:
                scroll = page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= width, f"the page scrolls sideways at {width} px ({scroll} px wide)"
            assert not axe_violations(page), axe_violations(page)
            shoot(page, name, TAKE_SCREENSHOTS)
            watch.check(page)
        finally:
            context.close()


def test_session_header_shows_its_cost(site: Any, page_watch: tuple[Any, Watch]) -> None:
    page, watch = page_watch
    login(page, site, f"#/s/{quote(ALPHA_ID, safe='')}")
    cost = page.get_by_test_id("session-cost")
    expect(cost).to_have_text("$0.018")
    page.locator("details.cost summary").click()
    row = page.locator("details.cost tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("claude-sonnet-4-5")
    expect(row).to_contain_text("$0.018")
    expect(row).to_contain_text("2 responses")
    expect(page.locator("details.cost")).to_contain_text(re.compile(r"genai-prices \d+\.\d+\.\d+"))
    shoot(page, "session-cost.png", TAKE_SCREENSHOTS)
    assert not axe_violations(page), axe_violations(page)
    # A session whose only model has no price: "unpriced", never $0.
    page.goto(f"{site.url}#/s/{quote(GAMMA_ID, safe='')}")
    expect(cost).to_have_text("unpriced")
    page.locator("details.cost summary").click()
    expect(page.locator("details.cost")).to_contain_text(
        "Unpriced (no price known, not in the total): mystery-model-x, 1 response"
    )
    watch.check(page)
