"""A push's sessions written together (ingest_fn/store.py): same rules, one transaction, safe fallback."""

from __future__ import annotations

import random
import threading

from tests.apps import make_session
from tests.ingest.test_protocol import chained, part, stored


def statuses(response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {i["session_id"]: i["status"] for i in response.json()["results"]}


def session_ids(apps) -> list[str]:
    with apps.db.admin() as conn:
        return [r[0] for r in conn.execute("SELECT session_id FROM av.sessions ORDER BY session_id")]


def test_a_mixed_batch_gets_each_session_its_own_answer(apps) -> None:
    held = chained("held", ["a", "b", "c"])
    same = chained("same", ["x"])
    apps.push(held, same)
    longer = chained("held", ["a", "b", "c", "d", "e"])
    stale = part(chained("held2", ["p", "q", "r"]), 2)  # a part of a session the server never saw
    r = apps.push(part(longer, 3), same, chained("new", ["n1", "n2"]), stale)
    assert statuses(r) == {"held": "applied", "same": "unchanged", "new": "applied", "held2": "resend"}
    assert stored(apps, "held") == ["a", "b", "c", "d", "e"]
    assert stored(apps, "new") == ["n1", "n2"]
    # the row created for the part that needs a resend is not left behind, empty
    assert session_ids(apps) == ["held", "new", "same"]
    with apps.db.admin() as conn:
        counts = dict(conn.execute("SELECT session_id, message_count FROM av.sessions").fetchall())
    assert counts == {"held": 5, "new": 2, "same": 1}


def test_a_session_the_database_refuses_is_rejected_alone(apps) -> None:
    # An operator's constraint (or any data the database refuses) fails the batch's
    # transaction; the request then falls back to one session at a time.
    with apps.db.admin() as conn:
        conn.execute("""
            CREATE FUNCTION av.refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.content = 'poison' THEN
                    RAISE EXCEPTION 'refused by policy' USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END $$""")
        conn.execute(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON av.messages "
            "FOR EACH ROW EXECUTE FUNCTION av.refuse_poison()"
        )
    r = apps.push(chained("ok1", ["fine"]), chained("bad", ["fine", "poison"]), chained("ok2", ["also fine"]))
    body = r.json()
    assert statuses(r) == {"ok1": "applied", "bad": "rejected", "ok2": "applied"}
    assert "23514" in body["results"][1]["reason"]
    assert stored(apps, "ok1") == ["fine"] and stored(apps, "ok2") == ["also fine"]
    assert session_ids(apps) == ["ok1", "ok2"]  # nothing of the refused session was written


def test_the_same_session_twice_in_one_request_is_applied_in_order(apps) -> None:
    first = chained("twice", ["a"])
    second = chained("twice", ["a", "b"])
    assert list(statuses(apps.push(first, second)).values()) == ["applied"]  # keyed by id: one entry
    assert stored(apps, "twice") == ["a", "b"]


def test_nul_in_structured_blocks_is_made_storable(apps) -> None:
    session = make_session("blocks", messages=2)
    session["messages"][0]["blocks"] = [
        {"type": "text", "text": "before\x00after"},
        {"type": "text", "text": "a literal \\u0000 stays"},
    ]
    r = apps.push(session, make_session("other"))
    assert statuses(r) == {"blocks": "applied", "other": "applied"}
    with apps.db.admin() as conn:
        blocks = conn.execute(
            "SELECT blocks FROM av.messages m JOIN av.sessions s ON s.id = m.session_pk "
            "WHERE s.session_id = 'blocks' AND m.ordinal = 0"
        ).fetchone()[0]
    assert blocks == [
        {"type": "text", "text": "before\ufffdafter"},
        {"type": "text", "text": "a literal \\u0000 stays"},
    ]


def test_overlapping_batches_in_any_order_neither_deadlock_nor_interleave(apps) -> None:
    # Eight writers push the same ten sessions, each in its own shuffled order and
    # version. Rows are locked in session-id order, so they queue; each session ends
    # whole, as exactly one writer's version.
    errors: list[str] = []

    def writer(w: int) -> None:
        order = list(range(10))
        random.Random(w).shuffle(order)
        for _ in range(3):
            sessions = [chained(f"s{k}", [f"w{w}-m{j}" for j in range(5 + w)]) for k in order]
            r = apps.push(*sessions)
            if r.status_code != 200 or any(
                i["status"] not in ("applied", "unchanged") for i in r.json()["results"]
            ):
                errors.append(r.text[:300])

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    for k in range(10):
        contents = stored(apps, f"s{k}")
        writers = {c.split("-")[0] for c in contents}
        assert len(writers) == 1, contents  # never a mix of two writers' messages
        w = int(writers.pop()[1:])
        assert contents == [f"w{w}-m{j}" for j in range(5 + w)]
    with apps.db.admin() as conn:
        rows = conn.execute(
            "SELECT s.message_count, (SELECT count(*) FROM av.messages m WHERE m.session_pk = s.id) "
            "FROM av.sessions s"
        ).fetchall()
    assert len(rows) == 10 and all(count == held for count, held in rows)


def test_nul_in_any_text_field_is_made_storable(apps) -> None:
    session = make_session("fields", messages=2, parent_tool_use_id="tu\x001", cwd="/w\x00rk")
    session["messages"][0]["message_key"] = "msg\x00key"
    call = session["messages"][1]["tool_calls"][0]
    call.update(
        category="re\x00ad", skill_name="sk\x00ill", subagent_session_id="sub\x00agent", tool_use_id="t\x00u"
    )
    assert statuses(apps.push(session)) == {"fields": "applied"}
    with apps.db.admin() as conn:
        assert conn.execute("SELECT parent_tool_use_id, cwd FROM av.sessions").fetchone() == (
            "tu\ufffd1",
            "/w\ufffdrk",
        )
        assert conn.execute("SELECT message_key FROM av.messages WHERE ordinal = 0").fetchone() == (
            "msg\ufffdkey",
        )
        assert conn.execute(
            "SELECT category, skill_name, subagent_session_id, tool_use_id FROM av.tool_calls"
        ).fetchone() == ("re\ufffdad", "sk\ufffdill", "sub\ufffdagent", "t\ufffdu")


def test_timestamps_are_stored_in_utc_whatever_offset_they_came_with(apps) -> None:
    session = make_session("times", messages=3)
    session["messages"][0]["timestamp"] = "2026-11-01T10:00:00"  # no offset: UTC
    session["messages"][1]["timestamp"] = "2026-11-01T12:00:00+02:00"  # 10:00 UTC
    session["messages"][2]["timestamp"] = "2026-11-01T05:30:00-04:30"  # 10:00 UTC
    assert statuses(apps.push(session)) == {"times": "applied"}
    with apps.db.admin() as conn:
        stamps = [
            r[0] for r in conn.execute("SELECT ts AT TIME ZONE 'UTC' FROM av.messages ORDER BY ordinal")
        ]
    assert [str(t) for t in stamps] == ["2026-11-01 10:00:00"] * 3


def test_integers_beyond_64_bits_in_blocks_are_stored_exactly_and_block_nothing(apps) -> None:
    import orjson

    from tests.apps import push_body

    big = 10**20
    odd = make_session("big", messages=1)
    odd["messages"][0]["blocks"] = [{"type": "tool_use", "input": {"n": 123}}]
    body = orjson.dumps(push_body(make_session("plain"), odd)).replace(b'{"n":123}', b'{"n":%d}' % big)
    r = apps.ingest.post(
        "/v1/push",
        content=body,
        headers={"Authorization": f"Bearer {apps.device_token}", "Content-Type": "application/json"},
    )
    assert statuses(r) == {"plain": "applied", "big": "applied"}
    with apps.db.admin() as conn:
        stored = conn.execute(
            "SELECT blocks -> 0 -> 'input' ->> 'n' FROM av.messages m "
            "JOIN av.sessions s ON s.id = m.session_pk WHERE s.session_id = 'big'"
        ).fetchone()[0]
    assert stored == str(big)


def test_what_the_database_cannot_index_is_cut_and_valid_totals_do_not_overflow(apps) -> None:
    import random

    from tests.ingest.test_protocol import chained

    rng = random.Random(1)
    # 1,024 characters (the protocol's limit) of four-byte UTF-8: too big for a btree entry
    project = "".join(chr(rng.randrange(0x20000, 0x2A6D6)) for _ in range(1024))
    wide = chained("wide", ["x"], project=project)
    big = chained("big", ["a", "b"])
    big["messages"][1]["usage"] = {"input_tokens": 2_000_000_000, "cache_read_tokens": 2_000_000_000}
    from client.fingerprint import seal

    big = seal(big)
    r = apps.push(chained("good1", ["a"]), wide, big, chained("good2", ["b"]))
    assert r.status_code == 200, r.text
    assert [i["status"] for i in r.json()["results"]] == ["applied"] * 4
    with apps.db.admin() as conn:
        (stored_project,) = conn.execute("SELECT project FROM sessions WHERE session_id = 'wide'").fetchone()
        (peak,) = conn.execute("SELECT peak_context_tokens FROM sessions WHERE session_id = 'big'").fetchone()
    assert len(stored_project.encode()) <= 2_000 and stored_project.endswith("more characters]")
    assert project.startswith(stored_project.split("\n[…")[0])
    assert peak == 4_000_000_000


def test_a_database_limit_on_one_session_rejects_it_alone(apps) -> None:
    # Whatever limit PostgreSQL enforces that the protocol does not know about (here a
    # trigger standing in for one), the session is rejected alone, never the whole request.
    from tests.ingest.test_protocol import chained

    with apps.db.admin() as conn:
        conn.execute("""CREATE FUNCTION av.too_big() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.content = 'huge' THEN RAISE EXCEPTION 'row too big' USING ERRCODE = '54000'; END IF;
            RETURN NEW; END $$""")
        conn.execute(
            "CREATE TRIGGER too_big BEFORE INSERT ON av.messages FOR EACH ROW EXECUTE FUNCTION av.too_big()"
        )
    r = apps.push(chained("ok1", ["a"]), chained("limit", ["huge"]), chained("ok2", ["b"]))
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [i["status"] for i in results] == ["applied", "rejected", "applied"]
    assert "54000" in results[1]["reason"]
    assert apps.push(chained("limit", ["huge"])).json()["results"][0]["status"] == "rejected"  # alone too


def test_a_push_does_not_wait_for_the_indexer_s_locks(apps) -> None:
    # refresh_search inserts rows that reference sessions, which takes a key-share lock on each
    # session row for its whole transaction; a push must not queue behind it (nor deadlock with it).
    import time

    from tests.ingest.test_protocol import chained

    assert apps.push(chained("s1", ["a"]), chained("s2", ["b"])).status_code == 200
    with apps.db.admin() as conn:
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO av.search_chunks_state (session_pk, indexed_seq) "
            "SELECT id, 0 FROM av.sessions WHERE session_id IN ('s1', 's2') "
            "ON CONFLICT (session_pk) DO UPDATE SET indexed_seq = 0"
        )
        started = time.monotonic()
        r = apps.push(chained("s1", ["a", "x"]), chained("s2", ["b", "y"]))
        waited = time.monotonic() - started
        conn.execute("ROLLBACK")
    assert r.status_code == 200 and [i["status"] for i in r.json()["results"]] == ["applied", "applied"]
    assert waited < 5
