"""The built web viewer as the viewer app serves it: caching, compression, fallback, safety.

Needs the built site (``make web``; ``make test`` builds it first).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from avcore.settings import ViewerSettings
from viewer_fn import static_files
from viewer_fn.app import create_app

SITE = Path(str(resources.files("viewer_fn") / "site"))
HASHED = re.compile(r"^[\w.-]+-[A-Za-z0-9_-]{8}\.\w+$")


def _client(base_path: str = "") -> TestClient:
    static_files.index_page.cache_clear()
    settings = ViewerSettings(
        database_url="postgresql://x@127.0.0.1:9/x",
        session_secret="s" * 40,
        environment="local",
        base_path=base_path,
    )
    return TestClient(create_app(settings), base_url="https://testserver")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    if not (SITE / "index.html").is_file():
        pytest.fail("viewer_fn/site is not built: run `make web`")
    yield _client()


def _entry_script(client: TestClient) -> str:
    html = client.get("/").text
    found = re.search(r'src="\./static/([^"]+\.js)"', html)
    assert found, html
    return found.group(1)


def test_index_is_revalidated_and_based(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"
    assert '<base href="/" />' in r.text
    assert (
        "Content-Security-Policy" in r.headers
        and "'unsafe-inline'" not in r.headers["Content-Security-Policy"]
    )
    # no inline script or style in the page itself
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text)
    assert "<style" not in r.text and "style=" not in r.text
    again = client.get("/", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_hashed_assets_are_immutable_and_compressed(client: TestClient) -> None:
    name = _entry_script(client)
    raw = (SITE / "static" / name).read_bytes()
    plain = client.get(f"/static/{name}", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.content == raw
    assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert plain.headers["content-type"] == "text/javascript; charset=utf-8"
    assert plain.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in plain.headers

    br = client.get(f"/static/{name}", headers={"Accept-Encoding": "gzip, br"})
    assert br.headers["content-encoding"] == "br"
    assert len(br.headers["content-length"]) and int(br.headers["content-length"]) < len(raw) / 2

    gz = client.get(f"/static/{name}", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip"
    # httpx decodes gzip transparently: the body is the original file
    assert gz.content == raw
    refused = client.get(f"/static/{name}", headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert "content-encoding" not in refused.headers and refused.content == raw


def test_every_built_file_is_hashed() -> None:
    """Immutable caching is only right when a changed file gets a new name."""
    names = [p.name for p in (SITE / "static").iterdir() if not p.name.endswith((".br", ".gz"))]
    assert names
    assert [n for n in names if not HASHED.match(n)] == []
    assert sorted(p.name for p in SITE.iterdir()) == ["index.html", "static"]


def test_built_code_writes_no_inline_style() -> None:
    """The CSP has no 'unsafe-inline': no style="" in templates, no <style> injected at run time."""
    for path in (SITE / "static").glob("*.js"):
        text = path.read_text()
        assert 'style="' not in text, path.name
        assert 'createElement("style")' not in text and "createElement('style')" not in text, path.name


FIRST_SCREEN_BUDGET = 200 * 1024  # compressed JavaScript of the first screen (issue 10)
IMPORTS = re.compile(r'(?:from|import)\s*"\./([\w.-]+\.js)"')


def _static_closure(names: list[str]) -> set[str]:
    """The files these JavaScript files load before running: their static imports, transitively."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += IMPORTS.findall((SITE / "static" / name).read_text())
    return seen


def test_first_screen_javascript_is_few_files_within_budget() -> None:
    """What index.html loads (its module script and modulepreloads) with the session view's chunk
    (a deep link's first screen, vite.chunks.ts): at most 200 KB compressed, in few files; the
    charts and the syntax highlighter stay out (loaded when used)."""
    html = (SITE / "index.html").read_text()
    named = re.findall(r'(?:src|href)="\./static/([\w.-]+\.js)"', html)
    assert re.search(r'<link rel="modulepreload"[^>]* href="\./static/app-', html), html
    session = [p.name for p in (SITE / "static").glob("session-*.js")]
    assert len(session) == 1, session
    files = _static_closure(named + session)
    assert len(files) <= 5, sorted(files)
    assert not [f for f in files if f.startswith(("chartSetup-", "common-", "AnalyticsPage-", "SearchPage-"))]
    compressed = sum((SITE / "static" / f"{f}.br").stat().st_size for f in files)
    assert compressed <= FIRST_SCREEN_BUDGET, (compressed, sorted(files))


COMPILE_ALL = "//# allFunctionsCalledOnLoad"


def test_the_first_screen_chunks_alone_are_compiled_eagerly() -> None:
    """The boot entry, the app and the session view carry V8's compile hint (vite.chunks.ts): their
    code runs before the first paint, so it is compiled whole off the main thread while it
    downloads. The views loaded later do not: compiled whole, code that may never run would cost
    a background core for nothing."""
    html = (SITE / "index.html").read_text()
    entry = re.search(r'<script type="module"[^>]* src="\./static/([\w.-]+\.js)"', html)
    assert entry, html
    first = {entry.group(1), *(p.name for p in (SITE / "static").glob("app-*.js")),
             *(p.name for p in (SITE / "static").glob("session-*.js"))}  # fmt: skip
    assert len(first) == 3, first
    marked = {p.name for p in (SITE / "static").glob("*.js") if COMPILE_ALL in p.read_text()}
    assert marked == first
    for name in first:  # V8 applies it to the functions after it: only Vite's one-line helper may come first
        before = (SITE / "static" / name).read_text().split(COMPILE_ALL)[0].splitlines()
        assert all(line.startswith("const __vite__mapDeps=") for line in before), (name, before)


def test_spa_fallback_and_what_it_does_not_cover(client: TestClient) -> None:
    page = client.get("/sessions/anything/here")
    assert page.status_code == 200 and '<base href="/" />' in page.text
    missing_api = client.get("/api/v1/no-such-route")
    assert missing_api.status_code == 404
    assert missing_api.json()["ok"] is False
    assert client.get("/static/index-00000000.js").status_code == 404
    for probe in ("/static/..%2F..%2Fapp.py", "/static/.hidden", "/static/index.html"):
        assert client.get(probe).status_code == 404, probe


def test_under_a_base_path() -> None:
    client = _client("/av")
    r = client.get("/av/")
    assert r.status_code == 200 and '<base href="/av/" />' in r.text
    redirect = client.get("/av", follow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["location"] == "/av/"
    name = re.search(r'src="\./static/([^"]+\.js)"', r.text)
    assert name and client.get(f"/av/static/{name.group(1)}").status_code == 200
    assert client.get("/").status_code == 404


def test_accept_encoding_parsing() -> None:
    class Fake:
        def __init__(self, value: str) -> None:
            self.headers = {"accept-encoding": value}

    assert static_files.accepted(Fake("gzip, deflate, br, zstd")) == {"gzip", "deflate", "br", "zstd"}  # type: ignore[arg-type]
    assert static_files.accepted(Fake("br;q=0, gzip;q=0.5")) == {"gzip"}  # type: ignore[arg-type]
    assert static_files.accepted(Fake("")) == set()  # type: ignore[arg-type]
