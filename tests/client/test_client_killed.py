"""An av-client SIGKILLed mid-push (issue 11, the probes that held): the next push completes,
nothing is lost or doubled, and the local state is not corrupted. The real av-client process,
the real ingest app under uvicorn, real PostgreSQL; the kill happens while the server is
inside the push's transaction (held there by a table lock), found from pg_stat_activity."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.client.ingest_server import Ingest
from tests.client.push_helpers import write_session

AV_CLIENT = Path(sys.executable).parent / "av-client"
SIDS = [f"k000000{i}-0000-4000-8000-000000000000" for i in range(3)]


def _av(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AV_CLIENT), *args], env=os.environ.copy(), capture_output=True, text=True, timeout=120
    )


def test_a_client_killed_mid_push_is_followed_by_a_complete_push(ingest: Ingest, sources_root: Path) -> None:
    for n, sid in enumerate(SIDS):
        write_session(sources_root, sid, 6 + n)
    blocker = psycopg.connect(ingest.db.admin_dsn, autocommit=False)
    # Reads go on (the plan); the push's COPY of messages waits, inside its transaction.
    blocker.execute("LOCK TABLE av.messages IN EXCLUSIVE MODE")
    client = subprocess.Popen(
        [str(AV_CLIENT), "push", "--json"],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        with ingest.db.admin() as watcher:
            for _ in range(6000):
                waiting = watcher.execute(
                    "SELECT query FROM pg_stat_activity WHERE usename = 'av_ingest' "
                    "AND wait_event_type = 'Lock' AND datname = current_database()"
                ).fetchone()
                if waiting is not None or client.poll() is not None:
                    break
                watcher.execute("SELECT pg_sleep(0.01)")
        assert client.poll() is None, client.communicate()
        assert waiting is not None and "messages" in waiting[0], waiting
        client.send_signal(signal.SIGKILL)
        assert client.wait(timeout=30) == -signal.SIGKILL
    finally:
        blocker.rollback()
        blocker.close()
        if client.poll() is None:
            client.kill()
        client.communicate()

    again = _av("push", "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Traceback" not in again.stderr
    verify = _av("verify", "--json")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["matching"] == 3
    counts = ingest.rows(
        "SELECT s.session_id, count(m.*), s.message_count FROM av.sessions s "
        "LEFT JOIN av.messages m ON m.session_pk = s.id GROUP BY s.id ORDER BY 1"
    )
    assert counts == [(sid, 6 + n, 6 + n) for n, sid in enumerate(SIDS)]
    third = _av("push", "--json")
    assert third.returncode == 0 and json.loads(third.stdout)["applied"] == 0, third.stdout
