"""The built page hosted apart from the API (docs/web.md "Hosting the page apart from the API"):
a static host serves it with the API's URL in <meta name="av-api-base">, and the API allows the
page's origin (AV_CORS_ORIGINS). Same site: everything works with the login cookie. Not allowed,
or on another site: the page says what is wrong instead of failing silently."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.viewer.browser import Watch, axe_violations, browser, sync_api
from tests.viewer.browser_helpers import (
    TOOLS_ID,
    free_port,
    push_samples,
    serve_app,
    serve_viewer,
    static_host,
)
from tests.viewer.browser_site import credentials, item, login, page_watch

if TYPE_CHECKING:
    from tests.pg import TestDatabase

__all__ = ["browser", "page_watch"]  # fixtures
expect = sync_api.expect
pytestmark = pytest.mark.browser


def _origin(url: str) -> str:
    return "/".join(url.split("/")[:3])


def test_a_page_on_its_own_origin_of_the_same_site_works_with_the_cookie(
    db: TestDatabase, tmp_path: Path, page_watch: tuple[Any, Watch]
) -> None:
    device_token, viewer_token = credentials(db)
    push_samples(db.ingest_dsn, device_token)
    page, watch = page_watch
    page_port = free_port()
    page_origin = f"https://127.0.0.1:{page_port}"  # another port: another origin, the same site
    with serve_viewer(db.viewer_dsn, tmp_path / "tls", cors_origins=(page_origin,)) as api:
        host = static_host(api.url, connect_src=_origin(api.url))
        with serve_app(host, tmp_path / "tls", port=page_port) as origin:
            assert origin == page_origin != _origin(api.url)
            page.goto(origin + "/")
            login(page, viewer_token)
            expect(page.locator("#whoami")).to_have_text("alice")
            item(page, TOOLS_ID).click()
            expect(page.locator("article.msg")).to_have_count(6)
            page.locator('details.tool[data-tool="Bash"] summary').click()
            expect(page.locator('details.tool[data-tool="Bash"] .result')).to_contain_text("pyproject.toml")
            # Every call went to the API's origin, none to the page's own.
            calls = [u for u in watch.requests if "/api/v1/" in u]
            assert calls and all(u.startswith(api.url) for u in calls), calls
            assert not any(u.startswith(origin + "/api/") for u in watch.requests)
            page.reload()  # the login lasts: the cookie went back to the API
            expect(page.locator("article.msg")).to_have_count(6)
            assert not axe_violations(page), axe_violations(page)
            watch.check(page)


def test_an_origin_the_api_does_not_list_is_named_on_the_login_page(
    db: TestDatabase, tmp_path: Path, page_watch: tuple[Any, Watch]
) -> None:
    _, viewer_token = credentials(db)
    page, watch = page_watch
    with serve_viewer(db.viewer_dsn, tmp_path / "tls") as api:  # no AV_CORS_ORIGINS
        with serve_app(static_host(api.url, connect_src=_origin(api.url)), tmp_path / "tls") as origin:
            page.goto(origin + "/")
            page.fill("#login-token", viewer_token)
            page.click("#login-submit")
            error = page.locator("#login-error")
            expect(error).to_contain_text(f"cannot reach the API at {api.url}")
            expect(error).to_contain_text(f"AV_CORS_ORIGINS lists this page's origin ({origin})")
            expect(page.locator("#shell")).to_have_count(0)
    # The browser reported the refused CORS answers; nothing else went wrong.
    assert watch.problems and all(
        "CORS" in p or "Failed to load" in p or "net::" in p for p in watch.problems
    )


def test_a_page_on_another_site_is_told_why_the_login_does_not_stick(
    db: TestDatabase, tmp_path: Path, page_watch: tuple[Any, Watch]
) -> None:
    _, viewer_token = credentials(db)
    page, watch = page_watch
    page_port = free_port()
    page_origin = f"https://localhost:{page_port}"  # localhost and 127.0.0.1 are two sites
    with serve_viewer(db.viewer_dsn, tmp_path / "tls", cors_origins=(page_origin,)) as api:
        host = static_host(api.url, connect_src=_origin(api.url))
        with serve_app(host, tmp_path / "tls", host="localhost", port=page_port) as origin:
            page.goto(origin + "/")
            page.fill("#login-token", viewer_token)
            page.click("#login-submit")
            error = page.locator("#login-error")
            expect(error).to_contain_text("did not keep the login")
            expect(error).to_contain_text(
                f"the page ({origin}) and the API ({_origin(api.url)}) are on different sites"
            )
            expect(page.locator("#shell")).to_have_count(0)
            watch.check(page)  # the 401 of the check is expected; nothing else failed
