"""History is kept: sessions whose logs left the machine stay, complete; only a user deletes.

docs/protocol.md, "Sessions that leave the machine".
"""

from __future__ import annotations

import uuid

from tests.ingest.test_protocol import chained, plan, post, stored


def _leave(apps, *session_ids: str, action: str | None = None) -> list[str]:
    body: dict = {"protocol": 1, "request_id": uuid.uuid4().hex, "session_ids": list(session_ids)}
    if action is not None:
        body["action"] = action
    r = post(apps, "/v1/deletes", body)
    assert r.status_code == 200, r.text
    return [item["status"] for item in r.json()["results"]]


def _status(apps) -> dict:
    return apps.ingest.get("/v1/status", headers={"Authorization": f"Bearer {apps.device_token}"}).json()


def _held(apps) -> dict[str, dict]:
    page = apps.ingest.get("/v1/sessions", headers={"Authorization": f"Bearer {apps.device_token}"}).json()
    return {s["session_id"]: s for s in page["sessions"]}


def _gone_at(apps, sid: str):
    with apps.db.admin() as conn:
        return conn.execute("SELECT gone_locally_at FROM sessions WHERE session_id = %s", (sid,)).fetchone()[
            0
        ]


def test_a_client_from_before_sending_deletes_no_longer_deletes_anything(apps) -> None:
    # Every av-client before this release sent /v1/deletes when a log file disappeared, which is
    # what Claude Code's own cleanup does after 30 days. The server used to drop the messages.
    apps.push(chained("old", ["a", "b", "c"]), chained("kept", ["d"]))
    assert _leave(apps, "old", "nope") == ["marked", "not_found"]
    assert stored(apps, "old") == ["a", "b", "c"]  # complete
    shown = apps.view("/api/v1/sessions/laptop:old").json()["session"]
    assert shown["message_count"] == 3 and shown["gone_locally_at"] is not None  # shown, marked
    assert apps.view("/api/v1/sessions/laptop:kept").json()["session"]["gone_locally_at"] is None

    def listed(**params: str) -> list[str]:
        rows = apps.view("/api/v1/sessions", include_one_shot="true", **params).json()["rows"]
        return sorted(r["session_id"] for r in rows)

    assert listed() == listed(gone_locally="") == ["kept", "old"]
    assert listed(gone_locally="true") == ["old"] and listed(gone_locally="false") == ["kept"]
    assert apps.view("/api/v1/sessions", gone_locally="perhaps").status_code == 400
    assert _gone_at(apps, "old") is not None
    assert _leave(apps, "old") == ["already_gone"]  # idempotent; the first time stays recorded
    st = _status(apps)
    assert (st["sessions"], st["gone_locally_sessions"], st["deleted_sessions"], st["messages"]) == (
        2,
        1,
        0,
        4,
    )
    held = _held(apps)
    assert held["old"]["gone_locally_at"] is not None and held["kept"]["gone_locally_at"] is None
    assert (held["old"]["deleted"], held["old"]["deleted_by"], held["old"]["project"]) == (False, None, "p")


def test_a_session_listed_again_is_back_on_its_machine(apps) -> None:
    session = chained("back", ["a", "b"])
    apps.push(session)
    assert _leave(apps, "back", action="gone") == ["marked"]
    assert plan(apps, session)[0]["action"] == "have"  # its log is back (restored, or another source)
    assert _gone_at(apps, "back") is None
    assert _status(apps)["gone_locally_sessions"] == 0


def test_a_user_deletion_is_a_tombstone_no_push_undoes_until_lifted(apps) -> None:
    session = chained("secret", ["my password is hunter2", "ok"])
    apps.push(session, chained("other", ["x", "y", "z"]))
    assert _leave(apps, "secret", "zz", action="delete") == ["deleted", "not_found"]
    assert stored(apps, "secret") == []
    assert [s["session_id"] for s in apps.view("/api/v1/sessions").json()["rows"]] == ["other"]
    # The log is still on the machine: the plan says "have" (nothing to send) and why.
    (answer,) = plan(apps, session)
    assert (answer["action"], answer["deleted"]) == ("have", True)
    st = _status(apps)
    assert (st["deleted_sessions"], st["deleted_by_user_sessions"], st["legacy_deleted_sessions"]) == (
        1,
        1,
        0,
    )
    assert _held(apps)["secret"]["deleted_by"] == "user"

    assert _leave(apps, "secret", "other", "zz", action="undelete") == [
        "undeleted",
        "not_deleted",
        "not_found",
    ]
    assert plan(apps, session)[0]["action"] == "send_all"
    assert apps.push(session).json()["results"][0]["status"] == "applied"
    assert stored(apps, "secret") == ["my password is hunter2", "ok"]


def test_a_mirror_deletion_is_restored_by_a_later_push(apps) -> None:
    session = chained("mirrored", ["a"])
    apps.push(session)
    assert _leave(apps, "mirrored", action="mirror") == ["deleted"]
    assert _held(apps)["mirrored"]["deleted_by"] == "mirror"
    assert _leave(apps, "mirrored", action="gone") == ["deleted"]  # nothing to mark on a tombstone
    assert _leave(apps, "mirrored", action="delete") == ["already_deleted"]  # now the user's: sticky
    assert plan(apps, session)[0].get("deleted") is True
    assert _leave(apps, "mirrored", action="undelete") == ["undeleted"]
    assert plan(apps, session)[0]["action"] == "send_all"


def test_an_unknown_action_is_refused_whole(apps) -> None:
    apps.push(chained("s", ["a"]))
    r = post(
        apps,
        "/v1/deletes",
        {"protocol": 1, "request_id": uuid.uuid4().hex, "session_ids": ["s"], "action": "purge"},
    )
    assert r.status_code == 400 and "action" in r.text
    assert stored(apps, "s") == ["a"]
