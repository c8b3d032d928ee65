"""End to end: `av-admin local up`, `av-client push`, read back through the viewer API."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from client.sources.claude import discover_claude_files, parse_claude_file
from infra.local.demo_corpus import write_demo_corpus

BIN = Path(sys.executable).parent


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    data = tmp_path / "avdata"
    monkeypatch.setenv("AV_DATA_DIR", str(data))
    env = {**os.environ, "AV_DATA_DIR": str(data)}
    up = subprocess.run(
        [BIN / "av-admin", "local", "up", "--machine", "e2e-box"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert up.returncode == 0, up.stderr
    exported = subprocess.run(
        [BIN / "av-admin", "local", "env"], env=env, capture_output=True, text=True, check=True
    ).stdout
    values = dict(line.removeprefix("export ").split("=", 1) for line in exported.splitlines())
    values = {k: v.strip("'") for k, v in values.items()}
    assert set(values) == {"AV_ENDPOINT", "AV_TOKEN", "AV_CA_BUNDLE", "AV_VIEWER_URL", "AV_VIEWER_TOKEN"}
    yield env, values
    down = subprocess.run(
        [BIN / "av-admin", "local", "down"], env=env, capture_output=True, text=True, timeout=60
    )
    assert down.returncode == 0 and "postgres" in down.stdout
    from infra.local.paths import clusters_of_path

    for base in clusters_of_path(data):
        shutil.rmtree(base, ignore_errors=True)  # as root it lives outside tmp_path


def test_push_then_read_back_through_the_viewer(stack, tmp_path: Path) -> None:
    env, values = stack
    corpus = tmp_path / "corpus"
    write_demo_corpus(corpus)
    expected = {}
    for path in discover_claude_files(corpus):
        for session in parse_claude_file(path)[0]:
            expected[session.session_id] = session
    push_env = {**env, **values, "CLAUDE_PROJECTS_DIR": str(corpus), "HOME": str(tmp_path / "home")}
    pushed = subprocess.run(
        [BIN / "av-client", "push", "--json"], env=push_env, capture_output=True, text=True, timeout=120
    )
    assert pushed.returncode == 0, pushed.stderr
    assert values["AV_TOKEN"] not in pushed.stdout + pushed.stderr
    again = subprocess.run(
        [BIN / "av-client", "push", "--json"], env=push_env, capture_output=True, text=True, timeout=120
    )
    assert '"applied": 0' in again.stdout and f'"unchanged": {len(expected)}' in again.stdout

    verify = ssl.create_default_context(cafile=values["AV_CA_BUNDLE"])
    with httpx.Client(
        base_url=values["AV_VIEWER_URL"],
        verify=verify,
        headers={"Authorization": f"Bearer {values['AV_VIEWER_TOKEN']}"},
    ) as viewer:
        listed = viewer.get(
            "api/v1/sessions", params={"include_children": "true", "include_one_shot": "true", "limit": 500}
        ).json()
        assert listed["total"] == len(expected)
        by_id = {s["session_id"]: s for s in listed["rows"]}
        assert set(by_id) == set(expected)
        for sid, parsed in expected.items():
            row = by_id[sid]
            assert row["machine"] == "e2e-box"
            assert row["message_count"] == len(parsed.messages)
            assert row["tool_call_count"] == sum(len(m.tool_calls) for m in parsed.messages)
            assert row["output_tokens"] == sum(m.usage.output_tokens for m in parsed.messages if m.usage)
            messages, url = [], f"api/v1/sessions/{row['id']}/messages?limit=1000"
            while url:  # pages are bounded by bytes too: follow next_url to the end
                page = viewer.get(url).json()
                messages += page["rows"]
                url = page["next_url"]
            assert [m["content"] for m in messages] == [m.content for m in parsed.messages]
        page = viewer.get("")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def test_the_local_stack_keeps_the_search_index_current(stack, tmp_path: Path) -> None:

    import psycopg

    from infra.local.stack import DATABASE, Stack

    env, values = stack
    corpus = tmp_path / "corpus"
    write_demo_corpus(corpus, sessions=4)
    pushed = subprocess.run(
        [BIN / "av-client", "push"],
        env={
            **env,
            **values,
            "CLAUDE_PROJECTS_DIR": str(corpus),
            "AV_USER_PATH": str(tmp_path / "user"),
            "HOME": str(tmp_path / "home"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pushed.returncode == 0, pushed.stderr
    st = Stack(Path(env["AV_DATA_DIR"]))
    dsn = st.cluster(st.state()).socket_dsn(dbname=DATABASE)
    deadline = time.monotonic() + 30
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            pending = conn.execute(
                "SELECT count(*) FROM av.sessions s LEFT JOIN av.search_chunks_state st ON st.session_pk = s.id "
                "WHERE st.session_pk IS NULL OR st.indexed_seq < s.change_seq"
            ).fetchone()[0]
            sessions = conn.execute("SELECT count(*) FROM av.sessions").fetchone()[0]
            if sessions and pending == 0:
                break
            assert time.monotonic() < deadline, f"{pending} of {sessions} sessions still unindexed after 30 s"
            time.sleep(0.5)
        assert conn.execute("SELECT count(*) FROM av.search_chunks").fetchone()[0] > 0


def test_a_session_survives_its_log_files_deletion(stack, tmp_path: Path) -> None:
    """Issue 15's "done when": push, delete the file, push again: still complete, and verify exits 0."""
    import json

    env, values = stack
    corpus = tmp_path / "corpus"
    write_demo_corpus(corpus, sessions=3)
    client_env = {**env, **values, "CLAUDE_PROJECTS_DIR": str(corpus), "AV_USER_PATH": str(tmp_path / "user")}

    def av_client(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BIN / "av-client", *args], env=client_env, capture_output=True, text=True, timeout=120
        )

    # A main session with no subagents (its file is the only one holding it).
    victim = next(
        p
        for p in discover_claude_files(corpus)
        if p.parent.name != "subagents" and not (p.parent / p.stem).exists()
    )
    (session,) = parse_claude_file(victim)[0]
    assert av_client("push").returncode == 0
    verify = ssl.create_default_context(cafile=values["AV_CA_BUNDLE"])
    with httpx.Client(
        base_url=values["AV_VIEWER_URL"],
        verify=verify,
        headers={"Authorization": f"Bearer {values['AV_VIEWER_TOKEN']}"},
    ) as viewer:
        sid = f"e2e-box:{session.session_id}"

        def held() -> tuple[dict, list[dict]]:
            detail = viewer.get(f"api/v1/sessions/{sid}")
            assert detail.status_code == 200, detail.text
            messages, url = [], f"api/v1/sessions/{sid}/messages?limit=1000"
            while url:  # pages are bounded by bytes too: follow next_url to the end
                page = viewer.get(url).json()
                messages += page["rows"]
                url = page["next_url"]
            return detail.json()["session"], messages

        before, before_messages = held()
        assert [m["content"] for m in before_messages] == [m.content for m in session.messages]

        victim.unlink()  # what Claude Code's cleanup does after cleanupPeriodDays
        again = av_client("push", "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["gone_marked"] == 1

        after, after_messages = held()
        assert before["gone_locally_at"] is None and after["gone_locally_at"] is not None  # marked
        assert after_messages == before_messages  # complete, block for block
        assert after["message_count"] == before["message_count"] == len(session.messages)
        assert after["tool_call_count"] == before["tool_call_count"]

    checked = av_client("verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "kept on the server, gone locally: 1 session (" in checked.stdout


def test_the_viewer_serves_the_page_over_http2_with_its_headers_and_cache(stack) -> None:
    """The local stack's viewer speaks HTTP/2 (ALPN with the local CA's certificate), Chromium
    loads the page and its files over it, one connection, with every security header, and a
    second tab takes the hashed files from its cache (issue 10, docs/web.md "Session 6")."""
    import socket
    from urllib.parse import urlsplit

    from playwright.sync_api import sync_playwright

    from avcore.web import SECURITY_HEADERS
    from infra.local.ca import LocalCA
    from tests.viewer.browser import CHROMIUM, CHROMIUM_ARGS

    env, values = stack
    url = values["AV_VIEWER_URL"]
    where = urlsplit(url)
    context = ssl.create_default_context(cafile=values["AV_CA_BUNDLE"])
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection((where.hostname, where.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=where.hostname) as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"

    # The local CA trusted by its key, as by someone who imported it: no certificate error, so
    # Chromium caches (it caches nothing from a connection whose certificate it only let through).
    pin = LocalCA(Path(values["AV_CA_BUNDLE"]).parent).server_spki_sha256()
    entries = """() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
        .map((e) => ({ name: e.name, protocol: e.nextHopProtocol, transferred: e.transferSize,
                       connected: e.connectEnd > e.connectStart }))"""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={pin}"],
            headless=True,
        )
        context = browser.new_context()
        headers: dict[str, dict[str, str]] = {}
        page = context.new_page()
        page.on("response", lambda r: headers.setdefault(r.url, r.all_headers()))
        page.goto(url)
        page.wait_for_selector("#login-token")
        page.wait_for_load_state("networkidle")
        first = page.evaluate(entries)
        page.close()
        again = context.new_page()
        again.goto(url)
        again.wait_for_selector("#login-token")
        second = again.evaluate(entries)
        browser.close()

    files = [e for e in first if "/static/" in e["name"]]
    assert files and {e["protocol"] for e in first} == {"h2"}, first
    assert not any(e["connected"] for e in first[1:]), f"a file opened a connection of its own: {first}"
    for name, sent in headers.items():
        if "/static/" in name or name == url:
            for header, value in SECURITY_HEADERS.items():
                assert sent.get(header.lower()) == value, (name, header)
    for e in files:
        assert "immutable" in headers[e["name"]]["cache-control"]
    cached = {e["name"]: e["transferred"] for e in second if "/static/" in e["name"]}
    assert cached and set(cached.values()) == {0}, f"the hashed files were fetched again: {cached}"


def test_the_local_servers_count_failed_logins_by_the_tcp_peer_not_a_header(stack) -> None:
    """Neither local server lets a client pick its own rate-limit key with X-Forwarded-For
    (docs/protocol.md, "Limits and refusals"): uvicorn, by default, takes that header from a
    127.0.0.1 peer, so the ingest server runs with --no-proxy-headers; Granian (the viewer) never
    reads it. Every failure below claims a new address, and the limit still comes."""
    from avcore.settings import IngestSettings
    from viewer_fn.ratelimit import LOGIN_MAX_FAILURES

    env, values = stack
    with httpx.Client(verify=ssl.create_default_context(cafile=values["AV_CA_BUNDLE"]), timeout=30) as client:
        viewer = [
            client.post(
                values["AV_VIEWER_URL"] + "api/v1/auth/login",
                json={"token": "avv_not-a-token"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(LOGIN_MAX_FAILURES + 1)
        ]
        assert viewer == [401] * LOGIN_MAX_FAILURES + [429]

        limit = IngestSettings.model_fields["auth_failures_per_window"].default
        ingest = [
            client.get(
                values["AV_ENDPOINT"].rstrip("/") + "/v1/status",
                headers={"Authorization": "Bearer avd_not-a-token", "X-Forwarded-For": f"198.51.100.{n}"},
            ).status_code
            for n in range(limit + 1)
        ]
        assert ingest == [401] * limit + [429]


def _alpn(url: str, ca_bundle: str) -> str | None:
    """The protocol the server at ``url`` picks when offered h2 and HTTP/1.1."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(url)
    context = ssl.create_default_context(cafile=ca_bundle)
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection((where.hostname, where.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=where.hostname) as tls,
    ):
        return tls.selected_alpn_protocol()


def test_up_restarts_a_server_another_release_left_running(stack) -> None:
    """A stack brought up by the release before Granian ran its viewer under uvicorn, and an
    upgrade leaves that process running: `up` restarts a server recorded as another kind than
    this release runs, or as none (that release recorded none), and says so (docs/settings.md)."""
    import signal

    from avcore.schema import VIEWER_ROLE
    from infra.local import servers
    from infra.local.stack import Stack

    env, values = stack
    st = Stack(Path(env["AV_DATA_DIR"]))
    state = st.state()
    assert {name: state[f"{name}_server"]["kind"] for name in ("viewer", "ingest")} == servers.KINDS
    assert state["viewer_server"]["command"] == servers.command(
        "viewer", state["viewer_port"], st.ca.server_cert, st.ca.server_key
    )
    assert _alpn(values["AV_VIEWER_URL"], values["AV_CA_BUNDLE"]) == "h2"

    # That release's viewer command (uvicorn, HTTP/1.1 only), on the same port, database and secret.
    old_command = [
        sys.executable, "-m", "uvicorn", "viewer_fn.app:serving_app", "--factory",
        "--host", "127.0.0.1", "--port", str(state["viewer_port"]),
        "--ssl-keyfile", str(st.ca.server_key), "--ssl-certfile", str(st.ca.server_cert),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    old_env = {
        **os.environ,
        "AV_DATABASE_URL": st._dsn(state, VIEWER_ROLE),
        "AV_ENVIRONMENT": "local",
        "AV_SESSION_SECRET": state["session_secret"],
    }
    for record in (None, {"kind": "uvicorn", "command": old_command}):
        os.killpg(state["viewer_pid"], signal.SIGTERM)
        gone = time.monotonic() + 30
        while st._healthy("viewer", state["viewer_port"]):
            assert time.monotonic() < gone, "the viewer did not stop"
            time.sleep(0.1)
        old = subprocess.Popen(old_command, env=old_env, start_new_session=True, stdin=subprocess.DEVNULL)
        # Reaped here as soon as it exits: `up` (another process) watches its pid, and an unreaped
        # child would stay a zombie that `up` takes for alive until its SIGKILL fallback (5 s).
        reaper = threading.Thread(target=old.wait, daemon=True)
        reaper.start()
        try:
            deadline = time.monotonic() + 30
            while not st._healthy("viewer", state["viewer_port"]):
                assert old.poll() is None and time.monotonic() < deadline, "the old viewer did not start"
                time.sleep(0.2)
            assert _alpn(values["AV_VIEWER_URL"], values["AV_CA_BUNDLE"]) != "h2"
            state["viewer_pid"] = old.pid
            if record is None:  # as that release wrote its state: no record of either server
                del state["viewer_server"], state["ingest_server"]
            else:
                state["viewer_server"] = record
            st.save(state)
            started = time.monotonic()
            up = subprocess.run(
                [BIN / "av-admin", "local", "up"], env=env, capture_output=True, text=True, timeout=120
            )
            assert up.returncode == 0, up.stderr
            reaper.join(timeout=10)
            assert old.returncode is not None  # stopped by `up` ...
            # ... on its SIGTERM (uvicorn may exit 0 on it), not on the SIGKILL fallback
            assert old.returncode in (0, -signal.SIGTERM), old.returncode
            assert time.monotonic() - started < 60
        finally:
            if old.poll() is None:
                os.killpg(old.pid, signal.SIGKILL)
                old.wait()
        if record is None:
            assert (
                "restarted the viewer server (started by a release that did not record its server): "
                in up.stderr
            )
            assert "restarted the ingest server" in up.stderr  # ran the earlier release's code too
        else:
            assert "restarted the viewer server (it ran uvicorn): it now runs granian" in up.stderr, up.stderr
            assert "restarted the ingest server" not in up.stderr
        state = st.state()
        assert state["viewer_pid"] != old.pid and state["viewer_server"]["kind"] == "granian"
        assert _alpn(values["AV_VIEWER_URL"], values["AV_CA_BUNDLE"]) == "h2"

    # Brought up by this release: `up` again restarts nothing.
    again = subprocess.run(
        [BIN / "av-admin", "local", "up"], env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert "restarted" not in again.stderr
    assert st.state()["viewer_pid"] == state["viewer_pid"]
