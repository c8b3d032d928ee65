"""Bad identifiers, times and parameters (issue 11 item 4): the bad item alone is refused, with
the field named; the rest of the request succeeds, and nothing answers 500."""

from __future__ import annotations

import uuid

import pytest

from tests.apps import make_session, push_body
from tests.ingest.test_protocol import chained, plan_item, post

BAD_IDS = ["nul\x00inside", "tab\there", "", "x" * 513, "del\x7f"]


@pytest.mark.parametrize("bad_id", BAD_IDS, ids=["nul", "tab", "empty", "long", "del"])
def test_a_bad_session_id_rejects_that_session_alone_on_push(apps, bad_id: str) -> None:
    r = apps.push(make_session("good-1"), make_session(bad_id), make_session("good-2"))
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [i["status"] for i in results] == ["applied", "rejected", "applied"]
    assert results[1]["errors"][0]["field"] == "session_id"
    assert "\x00" not in results[1]["session_id"]  # the answer is stored for replays: no NUL
    with apps.db.admin() as conn:
        held = conn.execute("SELECT array_agg(session_id ORDER BY session_id) FROM sessions").fetchone()[0]
    assert held == ["good-1", "good-2"]


def test_a_bad_parent_id_rejects_that_session_alone(apps) -> None:
    r = apps.push(
        make_session("child", parent_session_id="p\x00", relationship="subagent"), make_session("ok")
    )
    results = r.json()["results"]
    assert [i["status"] for i in results] == ["rejected", "applied"]
    assert results[0]["errors"][0]["field"] == "parent_session_id"


def test_a_bad_session_id_rejects_that_item_alone_on_plan(apps) -> None:
    good = chained("planned", ["a", "b"])
    bad = plan_item(chained("x", ["a"])) | {"session_id": "bad\x00id"}
    huge = plan_item(chained("y", ["a"])) | {"checkpoints": [[2**31, "0" * 64]]}
    r = post(apps, "/v1/plan", {"protocol": 1, "sessions": [bad, plan_item(good), huge, "not an object"]})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [i["action"] for i in results] == ["rejected", "send_all", "rejected", "rejected"]
    assert results[0]["session_id"] == "bad\ufffdid" and results[0]["errors"][0]["field"] == "session_id"
    assert results[1]["session_id"] == "planned"
    assert results[2]["errors"][0]["field"] == "checkpoints"


def test_a_bad_session_id_rejects_that_item_alone_on_deletes(apps) -> None:
    apps.push(chained("gone", ["a"]))
    body = {
        "protocol": 1,
        "request_id": uuid.uuid4().hex,
        "session_ids": ["gone", "a\x00b", "", "missing"],
        "action": "delete",
    }
    r = post(apps, "/v1/deletes", body)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [i["status"] for i in results] == ["deleted", "rejected", "rejected", "not_found"]
    assert results[1]["session_id"] == "a\ufffdb" and results[1]["errors"][0]["field"] == "session_ids.1"
    again = post(apps, "/v1/deletes", body)  # the stored answer replays
    assert again.status_code == 200 and again.json()["results"] == results


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timestamp", "9999-12-31T23:59:59-01:00"),  # year 10000 in UTC
        ("timestamp", "2100-01-01T00:00:00Z"),
        ("timestamp", "1969-12-31T23:59:59Z"),
        ("started_at", "0001-01-01T00:00:00+01:00"),
        ("ended_at", "9999-12-31T00:00:00Z"),
    ],
)
def test_a_time_outside_1970_to_2100_rejects_that_session_alone(apps, field: str, value: str) -> None:
    bad = make_session("bad-time")
    if field == "timestamp":
        bad["messages"][1]["timestamp"] = value
        where = "messages.1.timestamp"
    else:
        bad[field] = value
        where = field
    r = apps.push(bad, make_session("fine"))
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [i["status"] for i in results] == ["rejected", "applied"]
    assert results[0]["errors"][0]["field"] == where, results[0]


def test_the_edges_of_the_time_range_are_accepted(apps) -> None:
    session = make_session("edges", started="1970-01-01T00:00:00Z")
    session["messages"][0]["timestamp"] = "2099-12-31T23:59:59.999999Z"
    assert apps.push(session).json()["results"][0]["status"] == "applied"


@pytest.mark.parametrize("cursor", ["AA==", "YQBi", "!!!", "\u00e9"])
def test_a_malformed_held_list_cursor_is_a_400(apps, cursor: str) -> None:
    r = apps.ingest.get(
        "/v1/sessions", params={"cursor": cursor}, headers={"Authorization": f"Bearer {apps.device_token}"}
    )
    assert r.status_code == 400 and "cursor" in r.json()["error"]


def test_a_request_id_reused_for_another_body_or_route_is_a_409(apps) -> None:
    """It used to get the first answer back silently, and its own sessions were never written."""
    rid = uuid.uuid4().hex
    first = post(apps, "/v1/push", push_body(make_session("first"), request_id=rid))
    assert first.status_code == 200
    again = post(apps, "/v1/push", push_body(make_session("first"), request_id=rid))
    assert again.status_code == 200 and again.headers["Idempotent-Replay"] == "true"
    assert again.json() == first.json()
    other = post(apps, "/v1/push", push_body(make_session("second"), request_id=rid))
    assert other.status_code == 409, other.text
    assert other.json()["errors"][0]["field"] == "request_id" and rid in other.json()["error"]
    deletes = post(apps, "/v1/deletes", {"protocol": 1, "request_id": rid, "session_ids": ["first"]})
    assert deletes.status_code == 409  # the same id on another route
    with apps.db.admin() as conn:
        assert conn.execute("SELECT array_agg(session_id) FROM sessions WHERE deleted_at IS NULL").fetchone()[
            0
        ] == ["first"]


def test_a_delete_request_id_reused_for_other_ids_is_a_409(apps) -> None:
    apps.push(make_session("a"), make_session("b"))
    rid = uuid.uuid4().hex
    assert (
        post(
            apps, "/v1/deletes", {"protocol": 1, "request_id": rid, "session_ids": ["a"], "action": "delete"}
        ).status_code
        == 200
    )
    replay = post(
        apps, "/v1/deletes", {"protocol": 1, "request_id": rid, "session_ids": ["a"], "action": "delete"}
    )
    assert replay.status_code == 200 and replay.json()["results"][0]["status"] == "deleted"
    reused = post(
        apps, "/v1/deletes", {"protocol": 1, "request_id": rid, "session_ids": ["b"], "action": "delete"}
    )
    assert reused.status_code == 409 and "request_id" in reused.json()["error"]


def test_a_nul_in_an_unknown_field_name_is_answered_not_a_500(apps) -> None:
    """Found by schemathesis: pydantic names the unknown field, and the answer (stored for replays
    in jsonb, which cannot hold NUL) held it as it was."""
    bad = make_session("odd") | {"x\x00y": 1}
    r = apps.push(bad, make_session("fine"))
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [i["status"] for i in results] == ["rejected", "applied"]
    assert results[0]["errors"][0]["field"] == "x\ufffdy"
