"""The site the search, analytics and cost browser tests share: the fixed data set of
tests/viewer/insights_data.py pushed once per module through the real ingest app, served by
the real viewer over TLS, and the page helpers those tests use."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.credentials import add_device, add_viewer
from tests.pg import PgServer, create_database, drop_database
from tests.viewer.browser import sync_api
from tests.viewer.browser_helpers import push_sessions, serve_viewer
from tests.viewer.browser_site import page_watch
from tests.viewer.insights_data import DESKTOP, LAPTOP, RANGE, desktop_sessions, laptop_sessions

__all__ = ["page_watch"]  # the watched-page fixture, shared with every browser test
expect = sync_api.expect
MARCH = f"from={RANGE[0]}&to={RANGE[1]}&tz=UTC"


@dataclass
class Site:
    url: str
    token: str


@pytest.fixture(scope="module")
def site(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One database and one viewer for the module: the data set is read-only to every test."""
    db = create_database(pg_server)
    try:
        with db.admin() as conn:
            laptop = add_device(conn, machine=LAPTOP)
            desktop = add_device(conn, machine=DESKTOP)
            viewer = add_viewer(conn, name="alice")
        push_sessions(db.ingest_dsn, laptop.token, laptop_sessions(), "insights-laptop")
        push_sessions(db.ingest_dsn, desktop.token, desktop_sessions(), "insights-desktop")
        with serve_viewer(db.viewer_dsn, tmp_path_factory.mktemp("tls")) as served:
            yield Site(served.url, viewer.token)
    finally:
        drop_database(db)


def login(page: Any, site: Site, hash_: str = "") -> None:
    page.goto(site.url + hash_)
    page.fill("#login-token", site.token)
    page.click("#login-submit")
    expect(page.locator("#shell")).to_be_visible()


def panel(page: Any, panel_id: str) -> Any:
    return page.locator(f"section#{panel_id}")


def read_exactly(path: str | Path) -> str:
    """A downloaded file's text with its line ends as written (CSV's are CRLF)."""
    return Path(path).read_bytes().decode("utf-8")


def download_csv(page: Any, panel_id: str) -> str:
    with page.expect_download() as info:
        panel(page, panel_id).locator("button.csv").click()
    download = info.value
    assert download.suggested_filename.endswith(f"-{RANGE[0]}-{RANGE[1]}.csv"), download.suggested_filename
    return read_exactly(download.path())
