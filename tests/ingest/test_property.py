"""Property: any sequence of pushes, appends, replays and deletes leaves the server equal
to the client's last state."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.apps import push_body
from tests.ingest.test_protocol import chained, part, plan, post, stored

SESSION_IDS = ["a", "b", "c"]
texts = st.lists(st.sampled_from(["x", "y", "z", "long " * 20, "ünï", ""]), min_size=1, max_size=12)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("push"), st.sampled_from(SESSION_IDS), texts),
        st.tuples(st.just("append"), st.sampled_from(SESSION_IDS), texts),
        st.tuples(st.just("delete"), st.sampled_from(SESSION_IDS), st.just([])),
        st.tuples(st.just("replay"), st.just(""), st.just([])),
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_server_converges_to_the_clients_last_state(apps, ops) -> None:
    prefix = uuid.uuid4().hex[:8]
    model: dict[str, list[str] | None] = {}
    last_body: dict | None = None
    for op, sid, contents in ops:
        key = f"{prefix}-{sid}"
        if op == "push":
            model[key] = list(contents)
            last_body = push_body(chained(key, model[key]))
            assert post(apps, "/v1/push", last_body).status_code == 200
        elif op == "append":
            current = (model.get(key) or []) + list(contents)
            session = chained(key, current)
            answer = plan(apps, session)[0]
            if answer["action"] == "send_all":
                item = part(session, 0)
            elif answer["action"] == "send_from":
                start = answer["from_ordinal"]
                held = answer["held_messages"]
                if (
                    held
                    and held <= len(current)
                    and session["messages"][held - 1]["chain_hash"] == answer["held_chain_head"]
                ):
                    start = held  # the exact append the client can verify itself
                item = part(session, start)
            else:
                item = None
            if item is not None:
                last_body = push_body(item)
                status = post(apps, "/v1/push", last_body).json()["results"][0]["status"]
                assert status in ("applied", "unchanged"), status
            model[key] = current
        elif op == "delete":
            last_body = {
                "protocol": 1,
                "request_id": uuid.uuid4().hex,
                "session_ids": [key],
                "action": "mirror",
            }
            assert post(apps, "/v1/deletes", last_body).status_code == 200
            if key in model:
                model[key] = None
        elif op == "replay" and last_body is not None:
            path = "/v1/deletes" if "session_ids" in last_body else "/v1/push"
            r = post(apps, path, last_body)
            assert r.status_code == 200 and r.headers.get("idempotent-replay") == "true"
    for key, contents in model.items():
        if contents is None:
            assert stored(apps, key) == []
            assert apps.view(f"/api/v1/sessions/laptop:{key}").status_code == 404
        else:
            assert stored(apps, key) == contents, (key, ops)
            assert plan(apps, chained(key, contents))[0]["action"] == "have"
