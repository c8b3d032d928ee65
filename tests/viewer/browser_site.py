"""What every browser test of the page shares: a served site with credentials and the sample
sessions, a watched page, and small steps (log in, find a list row, a session's address)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from infra.credentials import add_device, add_viewer
from tests.viewer.browser import Watch, open_page, sync_api
from tests.viewer.browser_helpers import MACHINE, push_samples, serve_viewer

if TYPE_CHECKING:
    from tests.pg import TestDatabase

expect = sync_api.expect


@dataclass
class Site:
    url: str
    token: str  # the viewer's, to log in
    device: str = ""  # a device's, to push more while the page is open


def credentials(db: TestDatabase) -> tuple[str, str]:
    """A device token (to push) and a viewer token (to log in as "alice")."""
    with db.admin() as conn:
        device = add_device(conn, machine=MACHINE)
        viewer = add_viewer(conn, name="alice")
    return device.token, viewer.token


@pytest.fixture
def site(db: TestDatabase, tmp_path: Path) -> Iterator[Site]:
    device_token, viewer_token = credentials(db)
    push_samples(db.ingest_dsn, device_token)
    with serve_viewer(db.viewer_dsn, tmp_path / "tls") as served:
        yield Site(served.url, viewer_token, device_token)


@pytest.fixture
def page_watch(browser: Any) -> Iterator[tuple[Any, Watch]]:
    context, page, watch = open_page(browser)
    yield page, watch
    context.close()


def login(page: Any, token: str) -> None:
    page.fill("#login-token", token)
    page.click("#login-submit")
    expect(page.locator("#shell")).to_be_visible()


def open_signed_in(page: Any, site: Site, href: str, *scripts: str) -> None:
    """Signs in, then opens ``href`` in a new document (as from a pasted link), with ``scripts``
    running before the page's own first script (added after the login, armed by the fresh
    navigation)."""
    page.goto(site.url)
    login(page, site.token)
    for script in scripts:
        page.add_init_script(script)
    page.goto("about:blank")
    page.goto(site.url + href)


def item(page: Any, sid: str) -> Any:
    return page.locator(f'a[data-session-id="{sid}"]')


def session_href(sid: str, ordinal: int | None = None) -> str:
    tail = f"/m/{ordinal}" if ordinal is not None else ""
    return f"#/s/{quote(sid, safe='')}{tail}"


def wait_a_little_for(page: Any, condition: Callable[[], object]) -> None:
    """Polls ``condition`` for up to 5 s while the page runs (requests a route handler collects
    arrive between polls); the caller asserts what it needed, with its own message."""
    for _ in range(200):
        if condition():
            return
        page.wait_for_timeout(25)


def release(held: list[tuple[Any, Any]]) -> None:
    """Fulfils routes a test held back. A held request the browser gave up meanwhile (the preload
    scanner's speculative request for a file, when the element's own request replaced it) is
    already closed: Playwright calls it handled, and there is nothing to release."""
    for route, response in held:
        fulfill(route, response)


def fulfill(route: Any, response: Any) -> None:
    """Answers a routed request with ``response``, unless the browser gave the request up
    meanwhile (see release): a speculative request dropped while its answer was being fetched."""
    try:
        route.fulfill(response=response)
    except sync_api.Error as err:
        if "already handled" not in str(err):
            raise
