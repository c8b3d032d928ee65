"""Probes an attacker tried that held (issue 11: "keep every one of those tests"): a gzip bomb,
the database connection killed mid-push, concurrent replays of one request id. Real PostgreSQL,
the real ingest app; each waits on the database's own state, never on a timer."""

from __future__ import annotations

import threading
import tracemalloc
import uuid
import zlib
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from avcore.settings import IngestSettings
from ingest_fn.app import create_app
from tests.apps import push_body
from tests.ingest.test_protocol import chained, stored


def _wait_for(conn: psycopg.Connection, sql: str, *, tries: int = 2000) -> Any:
    """The first row ``sql`` returns, polled until there is one (a state, not a duration)."""
    for _ in range(tries):
        row = conn.execute(sql).fetchone()
        if row is not None:
            return row
        conn.execute("SELECT pg_sleep(0.01)")
    raise AssertionError(f"never true: {sql}")


def _gzip_of_zeros(size: int) -> bytes:
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    block = bytes(1 << 20)
    parts = [deflate.compress(block) for _ in range(size >> 20)]
    return b"".join(parts) + deflate.flush()


def test_a_gzip_bomb_is_refused_413_without_being_inflated_whole(db) -> None:
    with db.admin() as conn:
        from infra.credentials import add_device

        token = add_device(conn, machine="bomber").token
    cap = 1 << 20
    app = create_app(
        IngestSettings(database_url=db.ingest_dsn, environment="local", max_decompressed_bytes=cap)
    )
    bomb = _gzip_of_zeros(256 << 20)  # 256 MB inflated, ~250 KB sent
    try:
        with TestClient(app, base_url="https://testserver") as client:
            tracemalloc.start()
            try:
                r = client.post(
                    "/v1/push",
                    content=bomb,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                        "Content-Encoding": "gzip",
                    },
                )
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    finally:
        app.state.db.close()
    assert r.status_code == 413 and "decompressed" in r.json()["error"], r.text
    # Inflated at most to the cap (and a buffer the size of it), never to 256 MB.
    assert peak < 16 * cap + 4 * len(bomb), peak


def test_the_connection_killed_mid_push_leaves_nothing_half_written_and_a_retry_succeeds(apps) -> None:
    body = push_body(
        chained("killed", ["a", "b", "c"]), chained("killed-too", ["x", "y"]), request_id=uuid.uuid4().hex
    )
    for session in body["sessions"]:
        for m in session["messages"]:
            if m["role"] == "assistant":
                m["tool_calls"] = [
                    {"call_index": 0, "tool_name": "Read", "category": "read", "input_json": "{}"}
                ]
    answers: list[Any] = []
    blocker = psycopg.connect(apps.db.admin_dsn, autocommit=False)
    # The push writes its sessions and messages, then waits here, inside its transaction.
    blocker.execute("LOCK TABLE av.tool_calls IN ACCESS EXCLUSIVE MODE")

    def push() -> None:
        answers.append(
            apps.ingest.post("/v1/push", json=body, headers={"Authorization": f"Bearer {apps.device_token}"})
        )

    thread = threading.Thread(target=push)
    thread.start()
    try:
        with apps.db.admin() as watcher:
            pid, query = _wait_for(
                watcher,
                "SELECT pid, query FROM pg_stat_activity WHERE usename = 'av_ingest' "
                "AND wait_event_type = 'Lock' AND datname = current_database()",
            )
            assert watcher.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone() == (True,)
    finally:
        blocker.rollback()
        blocker.close()
        thread.join(timeout=60)
    assert "tool_calls" in query, query  # it was mid-push: sessions and messages already written
    assert answers and answers[0].status_code == 503, answers[0].text
    assert answers[0].headers["retry-after"]
    with apps.db.admin() as conn:  # the transaction died whole
        assert conn.execute("SELECT count(*) FROM av.sessions").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM av.messages").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM av.ingest_requests").fetchone() == (0,)
    retry = apps.ingest.post("/v1/push", json=body, headers={"Authorization": f"Bearer {apps.device_token}"})
    assert retry.status_code == 200, retry.text
    assert [i["status"] for i in retry.json()["results"]] == ["applied", "applied"]
    assert stored(apps, "killed") == ["a", "b", "c"] and stored(apps, "killed-too") == ["x", "y"]


def _writes(apps) -> int:
    with apps.db.admin() as conn:
        return int(conn.execute("SELECT last_value FROM av.change_seq").fetchone()[0])


def test_concurrent_replays_of_one_request_id_write_once(apps) -> None:
    # `replace` writes even an unchanged session: a second execution would show as a second write.
    apps.push(chained("probe", ["a"]))
    before = _writes(apps)
    assert apps.push(chained("probe", ["a"], replace=True)).json()["results"][0]["status"] == "applied"
    one_write = _writes(apps) - before
    assert one_write >= 1

    body = push_body(chained("replayed", ["a", "b"], replace=True), request_id=uuid.uuid4().hex)
    apps.push(chained("replayed", ["a", "b"]))
    start = threading.Barrier(8)
    answers: list[Any] = []

    def send() -> None:
        start.wait()
        answers.append(
            apps.ingest.post("/v1/push", json=body, headers={"Authorization": f"Bearer {apps.device_token}"})
        )

    before = _writes(apps)
    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == 8 and all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert all(a.json() == answers[0].json() for a in answers)  # every one is the first answer
    assert sum("idempotent-replay" not in a.headers for a in answers) == 1
    assert _writes(apps) - before == one_write  # executed once
    with apps.db.admin() as conn:
        assert conn.execute("SELECT count(*) FROM av.ingest_requests").fetchone()[0] >= 1
    assert stored(apps, "replayed") == ["a", "b"]
