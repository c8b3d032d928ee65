"""doctor against the real server: every check passes, and each failure comes with its fix."""

from __future__ import annotations

from client.doctor import run_checks


def _by_name():
    return {c.name: c for c in run_checks()}


def test_all_checks_pass_against_a_healthy_server(ingest, sources_root) -> None:
    checks = _by_name()
    assert {n: c.level for n, c in checks.items() if n != "sources"} == {
        "config": "ok",
        "redaction": "ok",
        "state": "ok",
        "dns": "ok",
        "tls": "ok",
        "token": "ok",
        "clock": "ok",
    }
    assert "laptop" in checks["token"].detail


def test_an_untrusted_certificate_points_at_av_ca_bundle(ingest, monkeypatch) -> None:
    monkeypatch.delenv("AV_CA_BUNDLE")
    checks = _by_name()
    assert checks["tls"].level == "fail" and "AV_CA_BUNDLE" in checks["tls"].fix
    assert checks["token"].level == "skip"


def test_a_wrong_token_says_how_to_get_a_new_one(ingest, monkeypatch) -> None:
    monkeypatch.setenv("AV_TOKEN", "avd_" + "x" * 40)
    token = _by_name()["token"]
    assert token.level == "fail" and "av-admin device add" in token.fix and "avd_xxx" not in token.detail


def test_no_configuration_says_run_init() -> None:
    checks = _by_name()
    assert checks["config"].level == "fail" and "av-client init" in checks["config"].fix
    assert checks["dns"].level == "skip"


def test_an_unresolvable_host_fails_dns(monkeypatch) -> None:
    monkeypatch.setenv("AV_ENDPOINT", "https://no-such-host.invalid")
    monkeypatch.setenv("AV_TOKEN", "avd_x")
    dns = _by_name()["dns"]
    assert dns.level == "fail" and "does not resolve" in dns.detail


def test_sources_lists_each_agent_found_and_where(sources_root, empty_home, tmp_path, monkeypatch) -> None:
    from tests.client import claude_lines as cl

    cl.write(sources_root / "-home-demo-widget" / f"{cl.SID}.jsonl", [cl.user("hi")])
    gemini = empty_home / ".gemini"  # found at its default location, no override
    (gemini / "tmp" / "p" / "chats").mkdir(parents=True)
    (gemini / "tmp" / "p" / "chats" / "session-1.json").write_text("{}")
    monkeypatch.setenv("CODEX_SESSIONS_DIR", str(tmp_path / "moved-away"))
    checks = _by_name()
    sources = checks["sources"]
    assert sources.level == "ok"
    assert f"claude (1 in {sources_root})" in sources.detail
    assert f"gemini (1 in {gemini})" in sources.detail
    assert "not found: codex" in sources.detail
    moved = checks["source codex"]
    assert moved.level == "warn" and str(tmp_path / "moved-away") in moved.detail
    assert "CODEX_SESSIONS_DIR" in moved.fix


def test_no_sources_names_what_was_looked_for(empty_home) -> None:
    sources = _by_name()["sources"]
    assert sources.level == "warn" and "claude" in sources.detail and "override variable" in sources.fix
