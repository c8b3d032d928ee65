"""Texts the API cuts in a message page reach the page whole: "Show all" fetches the rest in
ranges (message text, thinking, tool inputs, tool results), says how big the whole is, and the
exports carry every byte. Issue 15's session of eight ~1 MB tool outputs is the test case."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.viewer.bounded_sessions import MB, distinct_text, eight_megabyte_outputs, session
from tests.viewer.browser import Watch, axe_violations, browser, sync_api
from tests.viewer.browser_helpers import MACHINE, push_sessions, serve_viewer
from tests.viewer.browser_site import Site, credentials, login, page_watch, session_href

if TYPE_CHECKING:
    from tests.pg import TestDatabase

__all__ = ["browser", "page_watch"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser

HEAVY_ID = f"{MACHINE}:heavy"
LONG_ID = f"{MACHINE}:long"
PAGE_CHARS = 65_536  # what a message page carries of one text (viewer_fn/budget.py BLOCK_CHARS)
RANGE_CHARS = 524_288  # the ranged route's largest answer


def long_texts() -> dict[str, Any]:
    """Every kind of text the API cuts, each longer than a page carries."""
    return session(
        "long",
        [
            {"content": distinct_text("plain", 299_999)},
            {
                "content": "thinking, then text, then a tool call",
                "blocks": [
                    {"type": "thinking", "text": distinct_text("think", 120_000)},
                    {"type": "text", "text": distinct_text("words", 90_000)},
                    {"type": "tool_use", "id": "b1", "name": "Bash"},
                ],
                "has_tool_use": True,
                "tool_calls": [
                    {
                        "call_index": 0,
                        "tool_name": "Bash",
                        "category": "bash",
                        "tool_use_id": "b1",
                        "input_json": json.dumps({"command": distinct_text("in", 100_000)}),
                        "result_content": "done",
                    }
                ],
            },
        ],
    )


@pytest.fixture
def long_site(db: TestDatabase, tmp_path: Path) -> Iterator[tuple[Site, dict[str, Any]]]:
    device_token, viewer_token = credentials(db)
    heavy = eight_megabyte_outputs()
    push_sessions(db.ingest_dsn, device_token, [heavy, long_texts()], "browser-long-texts")
    with serve_viewer(db.viewer_dsn, tmp_path / "tls") as served:
        yield Site(served.url, viewer_token), heavy


def _pieces(tag: str, text: str) -> list[str]:
    return re.findall(rf"{tag}:\d{{7}}", text)


def _ranges(watch: Watch) -> list[str]:
    return [u for u in watch.requests if "/text?" in u]


def test_every_byte_of_eight_megabyte_outputs_is_reachable(
    long_site: tuple[Site, dict[str, Any]], page_watch: tuple[Any, Watch]
) -> None:
    site, heavy = long_site
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    for k in range(8):
        ordinal = 2 * k + 1
        original = heavy["messages"][ordinal]["tool_calls"][0]["result_content"]
        page.goto(site.url + session_href(HEAVY_ID, ordinal))
        tool = page.locator(f'article.msg[data-ordinal="{ordinal}"] details.tool')
        tool.locator("summary").click()
        # The size of the whole, before any of the rest is fetched.
        expect(tool.locator(".label", has_text="Result")).to_have_text("Result · 1,000,000 characters")
        before = len(_ranges(watch))
        tool.get_by_role("button", name="Show all (1,000,000 characters)").click()
        result = tool.locator("pre.result")
        expect(tool.locator(".cut")).to_have_count(0)  # loaded: no bar left
        assert result.evaluate("el => el.textContent") == original, f"output {k} differs"
        # Fetched in the API's largest ranges, from where the page stopped.
        assert len(_ranges(watch)) - before == -(-(MB - PAGE_CHARS) // RANGE_CHARS)
    assert len(_ranges(watch)) == 16

    # Scrolled away and back (the rows are virtual), the whole text is still there, not refetched.
    page.goto(site.url + session_href(HEAVY_ID, 15))
    page.goto(site.url + session_href(HEAVY_ID, 1))
    first = page.locator('article.msg[data-ordinal="1"] details.tool pre.result')
    expect(first).to_be_visible()
    assert first.evaluate("el => el.textContent.length") == MB
    assert len(_ranges(watch)) == 16
    assert not axe_violations(page), axe_violations(page)

    # The JSON export holds every byte of every output.
    with page.expect_download() as download:
        page.get_by_role("button", name="JSON").click()
    exported = json.loads(Path(download.value.path()).read_text())
    outputs = [m["tool_calls"][0]["result_content"] for m in exported["messages"] if m["tool_calls"]]
    assert outputs == [m["tool_calls"][0]["result_content"] for m in heavy["messages"] if m.get("tool_calls")]
    assert all(m["cuts"] == [] for m in exported["messages"])
    watch.check(page)


def test_text_thinking_and_tool_input_show_all(
    long_site: tuple[Site, dict[str, Any]], page_watch: tuple[Any, Watch]
) -> None:
    site, _ = long_site
    page, watch = page_watch
    sent = long_texts()["messages"]
    page.goto(site.url)
    login(page, site.token)
    page.goto(site.url + session_href(LONG_ID))
    first = page.locator('article.msg[data-ordinal="0"]')
    bar = first.locator(".cut")
    expect(bar).to_contain_text("Showing the first 65,536 of 299,999 characters.")
    bar.get_by_role("button", name="Show all").click()
    expect(bar).to_have_count(0)
    # Too long to format: shown as plain text, every character of it.
    assert first.locator("pre.plain").evaluate("el => el.textContent") == sent[0]["content"]

    second = page.locator('article.msg[data-ordinal="1"]')
    thinking = second.locator("details.thinking")
    thinking.locator("summary").click()
    thinking_bar = thinking.locator(".cut")
    expect(thinking_bar).to_contain_text("of 120,000 characters")
    thinking_bar.get_by_role("button", name="Show all").click()
    expect(thinking_bar).to_have_count(0)
    # Markdown shows "<think:0000001>" as the text "think:0000001" (an autolink it refuses to
    # link): every numbered piece must be there, in order, to the last.
    thought = thinking.locator(".md").evaluate("el => el.textContent")
    assert _pieces("think", thought) == _pieces("think", sent[1]["blocks"][0]["text"])

    words = second.locator('.cut[data-cut="block"]')
    expect(words).to_contain_text("of 90,000 characters")
    words.get_by_role("button", name="Show all").click()
    expect(second.locator('.cut[data-cut="block"]')).to_have_count(0)
    said = second.locator(":scope > div.md").evaluate("el => el.textContent")
    assert _pieces("words", said) == _pieces("words", sent[1]["blocks"][1]["text"])

    tool = second.locator("details.tool")
    tool.locator("summary").click()
    input_bar = tool.locator('.cut[data-cut="tool_input"]')
    expect(input_bar).to_contain_text("of 100,")
    input_bar.get_by_role("button", name="Show all").click()
    expect(input_bar).to_have_count(0)
    # Whole, the input is JSON again and shows pretty-printed, to its last character.
    shown = json.loads(tool.locator("pre.input").evaluate("el => el.textContent"))
    assert shown == json.loads(sent[1]["tool_calls"][0]["input_json"])
    assert not axe_violations(page), axe_violations(page)
    watch.check(page)


CURRENT_MATCH = "() => [...(CSS.highlights.get('av-find-current') ?? [])].map((r) => r.toString())"
# The current match is visible: inside every box that clips it, and in the window.
IN_VIEW = """() => { const [r] = [...(CSS.highlights.get('av-find-current') ?? [])]; if (!r) return false;
  const box = r.getBoundingClientRect(); if (!box.height) return false;
  for (let el = r.startContainer.parentElement; el; el = el.parentElement) {
    const v = el.getBoundingClientRect();
    if (getComputedStyle(el).overflowY !== 'visible' && (box.top < v.top || box.bottom > v.bottom)) return false; }
  return box.top >= 0 && box.bottom <= innerHeight; }"""


def test_find_fetches_the_rest_of_a_text_holding_the_match_past_its_cut(
    long_site: tuple[Site, dict[str, Any]], page_watch: tuple[Any, Watch]
) -> None:
    """The API finds a word anywhere in a text; the page carried only its first 65,536 characters,
    so find fetches the rest, opens the block and marks the word (it used to say "1 of 1 message"
    and show nothing)."""
    site, heavy = long_site
    page, watch = page_watch
    page.goto(site.url)
    login(page, site.token)
    page.goto(site.url + session_href(HEAVY_ID))
    expect(page.locator("article.msg").first).to_be_visible()
    page.get_by_role("button", name="Find", exact=True).click()
    # Output 3 (message 7) at ~800,000 characters: far past the page's cut and the preview.
    page.fill("#find-input", "out3:0050000")
    page.press("#find-input", "Enter")
    expect(page.locator(".find .count")).to_have_text("1 of 1 message")
    tool = page.locator('article.msg[data-ordinal="7"] details.tool')
    expect(tool).to_have_attribute("open", "")
    expect(tool.locator(".cut")).to_have_count(0)
    original = heavy["messages"][7]["tool_calls"][0]["result_content"]
    assert tool.locator("pre.result").evaluate("el => el.textContent") == original
    page.wait_for_function(f"() => ({CURRENT_MATCH})().length === 1")
    assert page.evaluate(CURRENT_MATCH) == ["out3:0050000"]
    # ... and in view: the result's own scrolling box scrolled to it, not left at its top.
    page.wait_for_function(IN_VIEW)

    # A message text: found at ~160,000 of 299,999 characters, shown whole and marked.
    page.press("#find-input", "Escape")
    page.goto(site.url + session_href(LONG_ID))
    expect(page.locator('article.msg[data-ordinal="0"] .cut')).to_be_visible()
    page.get_by_role("button", name="Find", exact=True).click()
    page.fill("#find-input", "plain:0010000")
    page.press("#find-input", "Enter")
    expect(page.locator(".find .count")).to_have_text("1 of 1 message")
    expect(page.locator('article.msg[data-ordinal="0"] .cut')).to_have_count(0)
    page.wait_for_function(f"() => ({CURRENT_MATCH})().length === 1")
    assert page.evaluate(CURRENT_MATCH) == ["plain:0010000"]
    page.wait_for_function(IN_VIEW)
    watch.check(page)
