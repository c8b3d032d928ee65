"""Protocol v1 beyond a plain push: plan, parts, replays, deletes, status, the held list."""

from __future__ import annotations

import copy
import threading
import uuid

from client.fingerprint import seal
from tests.apps import push_body


def chained(session_id: str, contents: list[str], **meta) -> dict:
    messages = [
        {
            "ordinal": i,
            "role": "user" if i % 2 == 0 else "assistant",
            "content": text,
            "timestamp": f"2026-11-01T10:00:{i % 60:02d}Z",
        }
        for i, text in enumerate(contents)
    ]
    return seal({"session_id": session_id, "agent": "claude", "project": "p", "messages": messages, **meta})


def plan_item(session: dict, acknowledged: int | None = None) -> dict:
    msgs = session["messages"]
    n = len(msgs)
    points = {n - 2**k for k in range(12) if n - 2**k >= 0} | {0}
    if acknowledged is not None:
        points.add(acknowledged)
    return {
        "session_id": session["session_id"],
        "fingerprint": session["fingerprint"],
        "message_count": n,
        "checkpoints": [[o, msgs[o]["chain_hash"]] for o in sorted(points) if n],
    }


def post(apps, path: str, body: dict, token: str | None = None):
    return apps.ingest.post(
        path, json=body, headers={"Authorization": f"Bearer {token or apps.device_token}"}
    )


def plan(apps, *sessions: dict, acknowledged: int | None = None) -> list[dict]:
    r = post(apps, "/v1/plan", {"protocol": 1, "sessions": [plan_item(s, acknowledged) for s in sessions]})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def part(session: dict, start: int, *, complete: bool = True) -> dict:
    item = copy.deepcopy(session)
    item["messages"] = item["messages"][start:]
    if start:
        item["base"] = {"ordinal": start, "chain_hash": session["messages"][start - 1]["chain_hash"]}
    item["complete"] = complete
    return item


def stored(apps, sid: str) -> list[str]:
    with apps.db.admin() as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT m.content FROM messages m JOIN sessions s ON s.id = m.session_pk "
                "WHERE s.session_id = %s ORDER BY m.ordinal",
                (sid,),
            )
        ]


def test_plan_answers_have_send_all_and_send_from(apps) -> None:
    s1 = chained("s1", [f"m{i}" for i in range(40)])
    assert plan(apps, s1)[0]["action"] == "send_all"
    assert apps.push(s1).json()["results"][0]["status"] == "applied"
    assert plan(apps, s1)[0]["action"] == "have"
    appended = chained("s1", [f"m{i}" for i in range(45)])
    answer = plan(apps, appended, acknowledged=39)[0]  # the client's own record of what it pushed
    assert answer["action"] == "send_from" and answer["from_ordinal"] == 40
    assert answer["base_chain_hash"] == s1["messages"][39]["chain_hash"]
    # without that hint, exponentially spaced checkpoints still find a base within 2x
    answer = plan(apps, appended)[0]
    assert answer["action"] == "send_from" and 45 - 2 * 5 <= answer["from_ordinal"] <= 40
    assert answer["base_chain_hash"] == s1["messages"][answer["from_ordinal"] - 1]["chain_hash"]
    edited = chained("s1", [f"m{i}" if i != 30 else "changed" for i in range(40)])
    answer = plan(apps, edited)[0]
    assert answer["action"] == "send_from" and answer["from_ordinal"] <= 30


def test_append_part_sends_only_new_messages(apps) -> None:
    s1 = chained("s1", [f"m{i}" for i in range(10)])
    apps.push(s1)
    longer = chained("s1", [f"m{i}" for i in range(13)])
    r = apps.push(part(longer, 10))
    assert r.json()["results"][0]["status"] == "applied"
    assert stored(apps, "s1") == [f"m{i}" for i in range(13)]
    assert plan(apps, longer)[0]["action"] == "have"
    with apps.db.admin() as conn:
        assert conn.execute("SELECT message_count FROM sessions").fetchone()[0] == 13


def test_part_with_a_stale_base_is_refused_and_changes_nothing(apps) -> None:
    apps.push(chained("s1", ["a", "b", "c"]))
    other = chained("s1", ["a", "X", "c", "d"])
    r = apps.push(part(other, 3))
    item = r.json()["results"][0]
    assert item["status"] == "resend" and "plan again" in item["reason"]
    assert stored(apps, "s1") == ["a", "b", "c"]
    fresh = chained("new", ["a", "b"])
    assert apps.push(part(fresh, 1)).json()["results"][0]["status"] == "resend"
    with apps.db.admin() as conn:
        assert conn.execute("SELECT count(*) FROM sessions WHERE session_id = 'new'").fetchone()[0] == 0


def test_a_session_in_parts_is_not_have_until_complete(apps) -> None:
    whole = chained("big", [f"m{i}" for i in range(30)])
    assert (
        apps.push(part({**whole, "messages": whole["messages"][:10]}, 0, complete=False)).json()["results"][
            0
        ]["status"]
        == "applied"
    )
    answer = plan(apps, whole)[0]
    # resumes after an interruption: the server names what it holds, and the client's chain agrees there
    assert (answer["held_messages"], answer["held_chain_head"]) == (10, whole["messages"][9]["chain_hash"])
    assert answer["action"] == "send_from" and answer["from_ordinal"] <= 10
    second = part(whole, 10, complete=False)
    second["messages"] = second["messages"][:10]
    assert apps.push(second).json()["results"][0]["status"] == "applied"
    assert apps.push(part(whole, 20)).json()["results"][0]["status"] == "applied"
    assert plan(apps, whole)[0]["action"] == "have"
    assert stored(apps, "big") == [f"m{i}" for i in range(30)]


def test_replayed_request_returns_the_first_answer_and_writes_nothing(apps) -> None:
    rid = uuid.uuid4().hex
    body = push_body(chained("r1", ["a", "b"]), request_id=rid)
    first = post(apps, "/v1/push", body)
    with apps.db.admin() as conn:
        conn.execute("DELETE FROM messages")  # if the replay wrote anything, it would show
    again = post(apps, "/v1/push", body)
    assert again.json() == first.json() and again.headers["idempotent-replay"] == "true"
    assert "idempotent-replay" not in first.headers
    assert stored(apps, "r1") == []


def test_deletes_leave_a_tombstone_hidden_from_the_viewer(apps) -> None:
    d1 = chained("d1", ["a", "b"])
    d1["messages"][1].update(model="claude-sonnet-4", usage={"input_tokens": 7, "output_tokens": 3})
    apps.push(seal(d1), chained("d2", ["c", "d", "e", "f"]))  # two user turns: not one-shot
    r = post(
        apps,
        "/v1/deletes",
        {"protocol": 1, "request_id": uuid.uuid4().hex, "session_ids": ["d1", "zz"], "action": "mirror"},
    )
    assert [i["status"] for i in r.json()["results"]] == ["deleted", "not_found"]
    with apps.db.admin() as conn:  # a tombstone holds no totals that no row backs
        assert conn.execute(
            "SELECT message_count, tool_call_count, input_tokens, output_tokens, peak_context_tokens, models "
            "FROM sessions WHERE session_id = 'd1'"
        ).fetchone() == (0, 0, 0, 0, 0, [])
    r = post(
        apps,
        "/v1/deletes",
        {"protocol": 1, "request_id": uuid.uuid4().hex, "session_ids": ["d1"], "action": "mirror"},
    )
    assert r.json()["results"][0]["status"] == "already_deleted"
    listed = apps.view("/api/v1/sessions").json()
    assert [s["session_id"] for s in listed["rows"]] == ["d2"]
    assert apps.view("/api/v1/sessions/laptop:d1").status_code == 404
    assert plan(apps, chained("d1", ["a", "b"]))[0]["action"] == "send_all"
    assert apps.push(chained("d1", ["a", "b"])).json()["results"][0]["status"] == "applied"  # restored
    assert stored(apps, "d1") == ["a", "b"]


def test_status_and_held_list(apps) -> None:
    def last_push() -> str | None:
        return apps.ingest.get("/v1/status", headers={"Authorization": f"Bearer {apps.device_token}"}).json()[
            "last_push_at"
        ]

    assert last_push() is None
    apps.push(*[chained(f"h{i:02d}", ["x"] * (i + 1)) for i in range(5)])
    pushed = last_push()
    assert pushed is not None
    apps.push(chained("h00", ["x"]))  # unchanged: not a push that wrote anything
    assert last_push() == pushed
    post(
        apps,
        "/v1/deletes",
        {"protocol": 1, "request_id": uuid.uuid4().hex, "session_ids": ["h00"], "action": "delete"},
    )
    st = apps.ingest.get("/v1/status", headers={"Authorization": f"Bearer {apps.device_token}"}).json()
    assert (st["machine"], st["sessions"], st["deleted_sessions"], st["messages"]) == ("laptop", 4, 1, 14)
    seen, cursor = [], None
    for _ in range(10):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = apps.ingest.get(
            "/v1/sessions", params=params, headers={"Authorization": f"Bearer {apps.device_token}"}
        ).json()
        seen += page["sessions"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [s["session_id"] for s in seen] == [f"h{i:02d}" for i in range(5)]
    assert seen[0]["deleted"] is True and seen[1]["message_count"] == 2


def test_same_session_pushed_concurrently_never_interleaves(apps) -> None:
    versions = [chained("race", [f"v{v}-{i}" for i in range(200)]) for v in range(8)]
    errors: list[str] = []

    def push_one(session: dict) -> None:
        r = apps.push(session)
        if r.status_code != 200 or r.json()["results"][0]["status"] not in ("applied", "unchanged"):
            errors.append(r.text)

    threads = [threading.Thread(target=push_one, args=(v,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    contents = stored(apps, "race")
    assert len(contents) == 200
    assert len({c.split("-")[0] for c in contents}) == 1  # all messages from one version, never a mix
    with apps.db.admin() as conn:
        fp = conn.execute("SELECT fingerprint FROM sessions WHERE session_id = 'race'").fetchone()[0]
    winner = next(v for v in versions if v["messages"][0]["content"] == contents[0])
    assert fp == winner["fingerprint"]


def test_a_device_cannot_touch_another_machines_sessions(apps) -> None:
    from infra.credentials import add_device

    with apps.db.admin() as conn:
        other = add_device(conn, machine="desktop").token
    apps.push(chained("mine", ["a", "b"]))
    gone = post(
        apps,
        "/v1/deletes",
        {"protocol": 1, "request_id": uuid.uuid4().hex, "session_ids": ["mine"]},
        token=other,
    )
    assert gone.json()["results"][0]["status"] == "not_found"
    r = post(
        apps, "/v1/plan", {"protocol": 1, "sessions": [plan_item(chained("mine", ["a", "b"]))]}, token=other
    )
    assert r.json()["results"][0]["action"] == "send_all"  # the other machine sees nothing of it
    appended = chained("mine", ["a", "b", "c"])
    assert apps.push(part(appended, 2), token=other).json()["results"][0]["status"] == "resend"
    assert stored(apps, "mine") == ["a", "b"]


def test_the_work_and_its_recorded_answer_commit_together(apps) -> None:
    # If the answer cannot be recorded (the function dies, the database refuses), the work is not
    # kept either: the retry then does it afresh and records that answer, never "done, no answer".
    with apps.db.admin() as conn:
        conn.execute("""CREATE FUNCTION av.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'cannot record'; END $$""")
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON av.ingest_requests "
            "FOR EACH ROW EXECUTE FUNCTION av.refuse()"
        )
    rid = uuid.uuid4().hex
    body = push_body(chained("atomic", ["a", "b"]), chained("atomic2", ["c"]), request_id=rid)
    from fastapi.testclient import TestClient

    server = TestClient(apps.ingest.app, base_url="https://testserver", raise_server_exceptions=False)
    failed = server.post("/v1/push", json=body, headers={"Authorization": f"Bearer {apps.device_token}"})
    assert failed.status_code == 500 and failed.json()["ok"] is False
    assert "cannot record" not in failed.text  # database detail stays in the log
    assert stored(apps, "atomic") == [] and stored(apps, "atomic2") == []
    with apps.db.admin() as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
        conn.execute("DROP TRIGGER refuse ON av.ingest_requests")
    retried = post(apps, "/v1/push", body)
    assert [i["status"] for i in retried.json()["results"]] == ["applied", "applied"]
    assert "idempotent-replay" not in retried.headers
    assert post(apps, "/v1/push", body).json() == retried.json()


def test_requests_applied_one_session_at_a_time_do_not_deadlock(apps) -> None:
    # A repeated session id sends a request down the one-by-one path, and a request's locks are
    # held until its answer is recorded: in request order, two requests sharing sessions in
    # different orders would deadlock. Deletes take the same path.
    import random

    names = [f"q{i}" for i in range(6)]
    errors: list[str] = []

    def push_shuffled(seed: int) -> None:
        order = random.Random(seed).sample(names, len(names))
        sessions = [chained(n, [f"{n}-{seed}"]) for n in order] + [
            chained(order[0], [f"{order[0]}-{seed}", "x"])
        ]
        r = apps.push(*sessions)
        if r.status_code != 200:
            errors.append(r.text)
        if seed % 2:
            r = post(
                apps,
                "/v1/deletes",
                {
                    "protocol": 1,
                    "request_id": uuid.uuid4().hex,
                    "session_ids": random.Random(seed + 1).sample(names, 3),
                    "action": "mirror",
                },
            )
            if r.status_code != 200:
                errors.append(r.text)

    threads = [threading.Thread(target=push_shuffled, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
