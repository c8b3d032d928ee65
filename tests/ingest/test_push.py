"""The push route against a real database: auth, upsert, counts, per-item results."""

from __future__ import annotations

import gzip

import orjson

from infra.credentials import add_device, revoke_device
from tests.apps import make_session, push_body


def test_push_stores_sessions_and_server_computes_totals(apps) -> None:
    r = apps.push(make_session("s1", messages=5), make_session("s2", messages=2))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["status"] for i in body["results"]] == ["applied", "applied"]
    assert len(body["database_id"]) == 36
    with apps.db.admin() as conn:
        row = conn.execute(
            "SELECT message_count, user_message_count, tool_call_count, output_tokens, cache_read_tokens, models "
            "FROM sessions WHERE session_id = 's1'"
        ).fetchone()
    assert row == (5, 3, 2, 10, 200, ["claude-sonnet-4"])


def test_equal_fingerprint_is_a_noop_and_change_replaces(apps) -> None:
    apps.push(make_session("s1", messages=4))
    with apps.db.admin() as conn:
        seq = conn.execute("SELECT change_seq FROM sessions").fetchone()[0]
    again = apps.push(make_session("s1", messages=4))
    assert again.json()["results"][0]["status"] == "unchanged"
    changed = apps.push(make_session("s1", messages=2, version=2))
    assert changed.json()["results"][0]["status"] == "applied"
    with apps.db.admin() as conn:
        count, new_seq = conn.execute("SELECT message_count, change_seq FROM sessions").fetchone()
        stored = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert (count, stored) == (2, 2)
    assert new_seq > seq


def test_replace_rewrites_a_session_the_server_holds_with_the_same_fingerprint(apps) -> None:
    """push --full: the server's copy is written again from the item, even at an equal fingerprint."""
    apps.push(make_session("s1", messages=4))
    with apps.db.admin() as conn:  # a damaged server copy the fingerprint no longer describes
        conn.execute("UPDATE messages SET content = 'damaged' WHERE ordinal = 1")
        conn.execute("DELETE FROM messages WHERE ordinal = 3")
    assert apps.push(make_session("s1", messages=4)).json()["results"][0]["status"] == "unchanged"
    again = apps.push(make_session("s1", messages=4, replace=True))
    assert again.json()["results"][0]["status"] == "applied"
    with apps.db.admin() as conn:
        contents = [r[0] for r in conn.execute("SELECT content FROM messages ORDER BY ordinal")]
        count = conn.execute("SELECT message_count FROM sessions").fetchone()[0]
    assert contents == [f"{r} message {i} of s1 v1" for i, r in enumerate(["user", "assistant"] * 2)]
    assert count == 4


def test_gzip_body_is_accepted(apps) -> None:
    body = gzip.compress(orjson.dumps(push_body(make_session("gz"))))
    r = apps.ingest.post(
        "/v1/push",
        content=body,
        headers={
            "Authorization": f"Bearer {apps.device_token}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
    )
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied"


def test_one_invalid_session_is_rejected_alone(apps) -> None:
    bad = make_session("bad")
    bad["messages"][1]["ordinal"] = 0  # ordinals must increase
    r = apps.push(make_session("good"), bad)
    results = {i["session_id"]: i for i in r.json()["results"]}
    assert results["good"]["status"] == "applied"
    assert results["bad"]["status"] == "rejected" and "ordinal" in str(results["bad"]["errors"])
    with apps.db.admin() as conn:
        assert conn.execute("SELECT array_agg(session_id) FROM sessions").fetchone()[0] == ["good"]


def test_nul_bytes_are_made_storable_without_losing_the_rest(apps) -> None:
    session = make_session("nul")
    session["messages"][0]["content"] = "before\x00after"
    assert apps.push(session).json()["results"][0]["status"] == "applied"
    with apps.db.admin() as conn:
        assert (
            conn.execute("SELECT content FROM messages WHERE ordinal = 0").fetchone()[0]
            == "before\ufffdafter"
        )


def test_machine_comes_from_the_token_not_the_body(apps) -> None:
    session = make_session("s1", machine="someone-else")
    r = apps.push(session)
    # Unknown fields are refused outright, so a body cannot even name a machine.
    assert r.json()["results"][0]["status"] == "rejected"
    apps.push(make_session("s1"))
    with apps.db.admin() as conn:
        assert conn.execute(
            "SELECT m.name FROM sessions s JOIN machines m ON m.id = s.machine_id"
        ).fetchone() == ("laptop",)


def test_two_machines_never_overwrite_each_other(apps) -> None:
    with apps.db.admin() as conn:
        other = add_device(conn, machine="desktop")
    apps.push(make_session("same-id", messages=3))
    apps.push(make_session("same-id", messages=5), token=other.token)
    with apps.db.admin() as conn:
        rows = conn.execute(
            "SELECT m.name, s.message_count FROM sessions s JOIN machines m ON m.id = s.machine_id "
            "ORDER BY m.name"
        ).fetchall()
    assert rows == [("desktop", 5), ("laptop", 3)]


def test_credentials_matrix(apps) -> None:
    body = push_body(make_session("x"))
    cases = {
        None: 401,
        "Basic abc": 401,
        "Bearer ": 401,
        "Bearer avd_not-a-real-token": 401,
        "Bearer avd_" + "A" * 38: 401,  # right shape, bad checksum
        f"Bearer {apps.viewer_token}": 403,  # viewer credentials cannot push
    }
    for header, status in cases.items():
        headers = {"Authorization": header} if header else {}
        r = apps.ingest.post("/v1/push", json=body, headers=headers)
        assert r.status_code == status, (header, r.text)
        assert r.json()["ok"] is False and r.json()["error"]
        assert apps.device_token not in r.text
    with apps.db.admin() as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_revoked_token_is_refused_on_the_next_request(apps) -> None:
    assert apps.push(make_session("a")).status_code == 200
    with apps.db.admin() as conn:
        device_id = conn.execute("SELECT id FROM devices").fetchone()[0]
        revoke_device(conn, device_id)
    r = apps.push(make_session("b"))
    assert r.status_code == 401 and "revoked" in r.json()["error"]


def test_bad_bodies_get_clear_errors_and_write_nothing(apps) -> None:
    auth = {"Authorization": f"Bearer {apps.device_token}"}
    cases = [
        ({"Content-Type": "text/plain"}, b"{}", 415, "Content-Type"),
        ({"Content-Type": "application/json"}, b"{not json", 400, "not valid JSON"),
        ({"Content-Type": "application/json", "Content-Encoding": "br"}, b"{}", 415, "Content-Encoding"),
        ({"Content-Type": "application/json", "Content-Encoding": "gzip"}, b"nope", 400, "not valid gzip"),
        (
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            gzip.compress(b'{"protocol": 1}')[:-6],
            400,
            "truncated",
        ),
        (
            {"Content-Type": "application/json"},
            orjson.dumps({"protocol": 9, "request_id": "abcdefgh", "sessions": []}),
            400,
            "protocol version",
        ),
        ({"Content-Type": "application/json"}, b"[" * 100 + b"]" * 100, 400, "nested"),
    ]
    for headers, content, status, needle in cases:
        r = apps.ingest.post("/v1/push", content=content, headers={**auth, **headers})
        assert r.status_code == status, (needle, r.text)
        assert needle in r.json()["error"]
    with apps.db.admin() as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_gzip_bomb_is_capped(apps) -> None:
    bomb = gzip.compress(b" " * (80 * 1024 * 1024))
    r = apps.ingest.post(
        "/v1/push",
        content=bomb,
        headers={
            "Authorization": f"Bearer {apps.device_token}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
    )
    assert r.status_code == 413 and "decompressed" in r.json()["error"]


def test_a_device_pushing_too_fast_gets_429_with_retry_after(db) -> None:
    from fastapi.testclient import TestClient

    from avcore.settings import IngestSettings
    from ingest_fn.app import create_app

    with db.admin() as conn:
        token = add_device(conn, machine="fast").token
    app = create_app(
        IngestSettings(database_url=db.ingest_dsn, environment="local", device_rate_per_minute=3)
    )
    client = TestClient(app, base_url="https://testserver")
    headers = {"Authorization": f"Bearer {token}"}
    codes = [client.get("/v1/status", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.get("/v1/status", headers=headers)
    assert 1 <= int(refused.headers["retry-after"]) <= 60 and "slow down" in refused.json()["error"]
    app.state.db.close()


def test_failed_authentications_are_rate_limited_per_address(db) -> None:
    from fastapi.testclient import TestClient

    from avcore.settings import IngestSettings
    from ingest_fn.app import create_app

    with db.admin() as conn:
        token = add_device(conn, machine="victim").token
    app = create_app(
        IngestSettings(database_url=db.ingest_dsn, environment="local", auth_failures_per_window=3)
    )

    def from_(address: str) -> TestClient:
        return TestClient(app, base_url="https://testserver", client=(address, 50000))

    attacker = from_("198.51.100.7")
    bad = {"Authorization": "Bearer avd_" + "B" * 38}
    # Rotating X-Forwarded-For (and a 2,800-character hop) changes nothing: the peer is the key.
    codes = [
        attacker.get("/v1/status", headers={**bad, "X-Forwarded-For": hop}).status_code
        for hop in ("203.0.113.1", "203.0.113.2", "x" * 2800, "203.0.113.4")
    ]
    assert codes == [401, 401, 401, 429]
    # even the right token is refused from that address until the window passes...
    blocked = attacker.get("/v1/status", headers={"Authorization": f"Bearer {token}"})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    # ...while other addresses are unaffected, whatever header the attacker names them in
    ok = from_("203.0.113.1").get("/v1/status", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    app.state.db.close()


def test_behind_a_configured_proxy_the_forwarded_address_counts(db) -> None:
    from fastapi.testclient import TestClient

    from avcore.settings import IngestSettings
    from ingest_fn.app import create_app

    app = create_app(
        IngestSettings(
            database_url=db.ingest_dsn,
            environment="local",
            auth_failures_per_window=2,
            trusted_proxies="10.0.0.0/8",
        )
    )
    proxy = TestClient(app, base_url="https://testserver", client=("10.0.0.2", 50000))
    bad = {"Authorization": "Bearer avd_" + "B" * 38}
    # The client wrote 6.6.6.6; the proxy appended the address it saw, 198.51.100.9.
    hop = {**bad, "X-Forwarded-For": "6.6.6.6, 198.51.100.9"}
    assert [proxy.get("/v1/status", headers=hop).status_code for _ in range(3)] == [401, 401, 429]
    other = {**bad, "X-Forwarded-For": "6.6.6.6, 198.51.100.10"}
    assert proxy.get("/v1/status", headers=other).status_code == 401  # another real client
    app.state.db.close()


def test_the_rate_limits_table_is_pruned(db) -> None:
    from fastapi.testclient import TestClient

    from avcore.settings import IngestSettings
    from ingest_fn.app import create_app

    with db.admin() as conn:
        conn.execute(
            "INSERT INTO av.rate_limits (key, window_start, hits) "
            "SELECT 'auth:old-' || n, now() - interval '2 hours', 1 FROM generate_series(1, 250) n"
        )
    app = create_app(IngestSettings(database_url=db.ingest_dsn, environment="local"))
    client = TestClient(app, base_url="https://testserver", client=("198.51.100.20", 50000))
    for _ in range(3):  # each failure clears a bounded batch of expired windows
        assert (
            client.get("/v1/status", headers={"Authorization": "Bearer avd_" + "C" * 38}).status_code == 401
        )
    with db.admin() as conn:
        left = conn.execute("SELECT count(*) FROM av.rate_limits WHERE key LIKE 'auth:old-%'").fetchone()[0]
        assert left == 0
        assert (
            conn.execute("SELECT hits FROM av.rate_limits WHERE key = 'auth:198.51.100.20'").fetchone()[0]
            == 3
        )
    app.state.db.close()


def test_plain_http_is_refused_outside_the_local_stack(db) -> None:
    from fastapi.testclient import TestClient

    from avcore.settings import IngestSettings
    from ingest_fn.app import create_app

    app = create_app(IngestSettings(database_url=db.ingest_dsn, environment="production"))
    r = TestClient(app, base_url="http://testserver").get("/v1/health", headers={"X-Forwarded-Proto": "http"})
    assert r.status_code == 403 and "HTTPS is required" in r.json()["error"]
    r = TestClient(app, base_url="http://testserver").get(
        "/v1/health", headers={"X-Forwarded-Proto": "https"}
    )
    assert r.status_code == 200
    app.state.db.close()


def test_logs_carry_a_request_id_but_never_tokens_or_content(apps, caplog) -> None:
    import json
    import logging

    from avcore.logs import JsonFormatter

    caplog.set_level(logging.INFO)
    secret_text = "very private session content 8472"
    session = make_session("logged")
    session["messages"][0]["content"] = secret_text
    apps.push(session)
    apps.ingest.post("/v1/push", json={"protocol": 1}, headers={"Authorization": "Bearer avd_wrong"})
    lines = [JsonFormatter().format(record) for record in caplog.records]
    requests = [json.loads(line) for line in lines if json.loads(line)["msg"] == "request"]
    assert requests and all(len(r["request_id"]) >= 16 and r["status"] for r in requests)
    everything = "\n".join(lines)
    assert apps.device_token not in everything and "avd_wrong" not in everything
    assert secret_text not in everything


def test_over_long_tool_output_is_cut_with_a_marker_not_rejected(apps) -> None:
    from avprotocol.limits import MAX_TOOL_RESULT_CHARS

    session = make_session("huge", messages=2)
    big = "0123456789" * (MAX_TOOL_RESULT_CHARS // 10 + 5_000)
    session["messages"][1]["tool_calls"][0]["result_content"] = big
    body = gzip.compress(orjson.dumps(push_body(session)))
    r = apps.ingest.post(
        "/v1/push",
        content=body,
        headers={
            "Authorization": f"Bearer {apps.device_token}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
    )
    assert r.json()["results"][0]["status"] == "applied"
    with apps.db.admin() as conn:
        content, length, cut = conn.execute(
            "SELECT result_content, result_length, result_truncated FROM tool_calls"
        ).fetchone()
    assert cut is True and length == len(big)
    assert content.startswith(big[:1000]) and content.endswith("more characters]")
    assert len(content) <= MAX_TOOL_RESULT_CHARS  # the marker counts towards the limit
    assert content.endswith(f"{len(big) - content.index(chr(10) + '[… truncated')} more characters]")


def test_a_token_without_the_push_scope_is_forbidden(apps) -> None:
    with apps.db.admin() as conn:
        limited = add_device(conn, machine="reader-only", scopes=("status",)).token
    r = apps.push(make_session("x"), token=limited)
    assert r.status_code == 403 and "'push' scope" in r.json()["error"]


def test_a_time_out_of_range_in_utc_rejects_that_session_alone(apps) -> None:
    good, bad = (
        make_session("in-range"),
        make_session("before-year-1", created_at="0001-01-01T00:00:00+01:00"),
    )
    r = apps.push(good, bad)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [i["status"] for i in results] == ["applied", "rejected"]
    assert results[1]["errors"][0]["field"] == "created_at"
    assert "out of range" in results[1]["errors"][0]["message"]
