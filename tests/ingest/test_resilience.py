"""Ingest under stress: many machines at once, a database restart mid-push, broken text."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

from infra.credentials import add_device
from tests.apps import push_body
from tests.ingest.test_protocol import chained, stored


def test_eight_machines_pushing_at_once_end_with_exact_counts(apps) -> None:
    with apps.db.admin() as conn:
        tokens = [add_device(conn, machine=f"box{i}").token for i in range(8)]
    errors: list[str] = []

    def run(token: str, machine: int) -> None:
        for batch in range(3):
            sessions = [
                chained(f"m{machine}-s{batch}-{k}", [f"t{j}" for j in range(20 + k)]) for k in range(4)
            ]
            r = apps.push(*sessions, token=token)
            if r.status_code != 200 or any(i["status"] != "applied" for i in r.json()["results"]):
                errors.append(r.text)

    threads = [threading.Thread(target=run, args=(t, i)) for i, t in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    with apps.db.admin() as conn:
        rows = conn.execute(
            "SELECT m.name, count(*), sum(s.message_count) FROM sessions s "
            "JOIN machines m ON m.id = s.machine_id GROUP BY m.name ORDER BY m.name"
        ).fetchall()
        total_messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert rows == [(f"box{i}", 12, 3 * (20 + 21 + 22 + 23)) for i in range(8)]
    assert total_messages == 8 * 3 * (20 + 21 + 22 + 23)


def test_database_restart_mid_push_then_retry_completes(apps, pg_server) -> None:
    if pg_server.cluster is None:
        pytest.skip(f"cannot restart a server the harness did not start ({pg_server.kind})")
    apps.push(chained("held", ["a"]))
    body = push_body(chained("held", ["a", "b", "c"]), chained("other", ["x"]), request_id=uuid.uuid4().hex)
    answers: list = []
    blocker = psycopg.connect(apps.db.admin_dsn, autocommit=False)
    blocker.execute(
        "SELECT 1 FROM av.sessions WHERE session_id = 'held' FOR UPDATE"
    )  # the push will wait here

    def push() -> None:
        answers.append(
            apps.ingest.post("/v1/push", json=body, headers={"Authorization": f"Bearer {apps.device_token}"})
        )

    thread = threading.Thread(target=push)
    thread.start()
    time.sleep(0.5)
    pg_server.restart()
    thread.join(timeout=60)
    blocker.close()
    assert answers and answers[0].status_code == 503, answers[0].text
    assert answers[0].headers["retry-after"]
    assert stored(apps, "held") == ["a"]  # the interrupted transaction left nothing half-written
    retry = apps.ingest.post("/v1/push", json=body, headers={"Authorization": f"Bearer {apps.device_token}"})
    assert retry.status_code == 200, retry.text
    assert [i["status"] for i in retry.json()["results"]] == ["applied", "applied"]
    assert stored(apps, "held") == ["a", "b", "c"]


def test_lone_surrogates_are_repaired_but_invalid_utf8_bodies_are_refused(apps) -> None:
    import gzip

    import orjson

    headers = {"Authorization": f"Bearer {apps.device_token}", "Content-Type": "application/json"}
    body = push_body(chained("fine", ["ok"]), chained("broken", ["PLACEHOLDER"]))
    escaped = orjson.dumps(body).replace(b"PLACEHOLDER", b"caf\\u00e9 \\ud800 end")
    r = apps.ingest.post("/v1/push", content=escaped, headers=headers)
    assert r.status_code == 200, r.text
    assert [i["status"] for i in r.json()["results"]] == ["applied", "applied"]
    assert stored(apps, "broken") == ["caf\u00e9 \ufffd end"]

    raw = orjson.dumps(push_body(chained("bad-bytes", ["PLACEHOLDER"]))).replace(b"PLACEHOLDER", b"caf\xff")
    r = apps.ingest.post("/v1/push", content=raw, headers=headers)
    assert r.status_code == 400 and "not valid UTF-8 (byte" in r.json()["error"]
    r = apps.ingest.post("/v1/push", content=gzip.compress(raw), headers=headers)
    assert r.status_code == 400 and "Content-Encoding: gzip is missing" in r.json()["error"]
    assert stored(apps, "bad-bytes") == []


def test_oversized_body_is_refused_before_parsing(apps) -> None:
    limit = apps.ingest.app.state.settings.max_body_bytes
    r = apps.ingest.post(
        "/v1/push",
        content=b"{" + b" " * limit + b"}",
        headers={"Authorization": f"Bearer {apps.device_token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and str(limit) in r.json()["error"]
