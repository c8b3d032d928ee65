"""Build the real apps against a test database, plus credentials and pushable sessions."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from avcore.settings import IngestSettings, ViewerSettings
from infra.credentials import add_device, add_viewer
from ingest_fn.app import create_app as create_ingest
from tests.pg import TestDatabase
from viewer_fn.app import create_app as create_viewer

SESSION_SECRET = "test-session-secret-" + "x" * 32


def hexhash(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def make_session(
    session_id: str,
    *,
    messages: int = 3,
    project: str = "demo",
    started: str = "2026-11-01T10:00:00Z",
    version: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    msgs = []
    for i in range(messages):
        role = "user" if i % 2 == 0 else "assistant"
        msg: dict[str, Any] = {
            "ordinal": i,
            "role": role,
            "content": f"{role} message {i} of {session_id} v{version}",
            "timestamp": f"2026-11-01T10:{i // 60:02d}:{i % 60:02d}Z",
            "chain_hash": hexhash(session_id, i, version),
        }
        if role == "assistant":
            msg["model"] = "claude-sonnet-4"
            msg["usage"] = {"input_tokens": 10, "output_tokens": 5, "cache_read_tokens": 100}
            msg["has_tool_use"] = True
            msg["tool_calls"] = [
                {
                    "call_index": 0,
                    "tool_name": "Read",
                    "category": "read",
                    "tool_use_id": f"t{i}",
                    "input_json": '{"file_path": "/x.py"}',
                    "result_content": "print('hi')",
                }
            ]
        msgs.append(msg)
    session = {
        "session_id": session_id,
        "agent": "claude",
        "project": project,
        "started_at": started,
        "ended_at": started,
        "first_message": msgs[0]["content"] if msgs else None,
        "fingerprint": hexhash(session_id, messages, version, project),
        "messages": msgs,
    }
    session.update(extra)
    return session


def push_body(*sessions: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    return {"protocol": 1, "request_id": request_id or uuid.uuid4().hex, "sessions": list(sessions)}


@dataclass
class Apps:
    db: TestDatabase
    ingest: TestClient
    viewer: TestClient
    device_token: str
    viewer_token: str

    def push(self, *sessions: dict[str, Any], token: str | None = None) -> Any:
        return self.ingest.post(
            "/v1/push",
            json=push_body(*sessions),
            headers={"Authorization": f"Bearer {token or self.device_token}"},
        )

    def view(self, path: str, **params: Any) -> Any:
        return self.viewer.get(path, params=params, headers={"Authorization": f"Bearer {self.viewer_token}"})


def build_apps(db: TestDatabase, machine: str = "laptop") -> Apps:
    with db.admin() as conn:
        device = add_device(conn, machine=machine)
        viewer = add_viewer(conn, name="tester")
    # Tests push far faster than any person; the limit itself is tested on its own. Eight
    # connections, as eight Lambda containers would have: with one, requests from threads would
    # queue for it and "concurrent" tests would never meet in the database.
    ingest = TestClient(
        create_ingest(
            IngestSettings(
                database_url=db.ingest_dsn,
                environment="local",
                device_rate_per_minute=1_000_000,
                db_pool_size=8,
            )
        ),
        base_url="https://testserver",
    )
    view = TestClient(
        create_viewer(
            ViewerSettings(database_url=db.viewer_dsn, session_secret=SESSION_SECRET, environment="local")
        ),
        base_url="https://testserver",
    )
    return Apps(db, ingest, view, device.token, viewer.token)
