"""The indexer re-indexes only what a push rewrote (migration 0010), and the index it keeps is
exactly the index of the session as it is now."""

from __future__ import annotations

import uuid

from avcore.settings import IngestSettings
from client.fingerprint import seal
from ingest_fn.indexer import database, refresh
from tests.ingest.test_protocol import part, post

# A session's search index as a full indexing would build it from its rows now (migration 0007's
# definition), against what search_chunks holds.
FROM_SCRATCH = """
SELECT d.ordinal, d.call_index, c.chunk, c.start_char, d.ts, search_vector(c.body)::text, lower(c.body)
FROM (
    SELECT m.ordinal, -1 AS call_index, m.ts, m.content AS t FROM messages m
    WHERE m.session_pk = %(pk)s AND NOT m.is_system
    UNION ALL
    SELECT t.message_ordinal, t.call_index, m.ts, t.result_content
    FROM tool_calls t JOIN messages m ON m.session_pk = t.session_pk AND m.ordinal = t.message_ordinal
    WHERE t.session_pk = %(pk)s AND t.result_content IS NOT NULL AND t.result_content <> ''
) d CROSS JOIN LATERAL text_chunks(d.t) c"""
HELD = """
SELECT ordinal, call_index, chunk, start_char, ts, tsv::text, body FROM search_chunks WHERE session_pk = %(pk)s"""
# Which transaction wrote each chunk row: unchanged means not rewritten.
WRITTEN_BY = "SELECT ordinal, call_index, chunk, xmin::text FROM search_chunks WHERE session_pk = %(pk)s"

LONG = "alpha beta gamma " * 700  # ~12 KB: two chunks


def _session(n: int, *, edit_from: int | None = None) -> dict:
    """n messages; every third assistant message has a tool output, some long; from
    ``edit_from`` on, the texts differ (as a rewritten tail would)."""
    messages = []
    for i in range(n):
        edited = " edited" if edit_from is not None and i >= edit_from else ""
        message: dict = {
            "ordinal": i,
            "role": "user" if i % 2 == 0 else "assistant",
            "content": (LONG if i % 7 == 3 else f"message {i} about topic{i % 5}") + edited,
            "timestamp": f"2026-11-01T1{i // 60}:{i % 60:02d}:00Z",
        }
        if i % 6 == 1:
            message["tool_calls"] = [
                {"call_index": 0, "tool_name": "Read", "category": "read", "tool_use_id": f"t{i}",
                 "input_json": "{}", "result_content": f"output {i} {LONG if i % 12 == 1 else ''}{edited}"}
            ]  # fmt: skip
        messages.append(message)
    return seal({"session_id": "grow", "agent": "claude", "project": "p", "messages": messages})


def _pk(apps) -> int:
    with apps.db.admin() as conn:
        return int(conn.execute("SELECT id FROM sessions WHERE session_id = 'grow'").fetchone()[0])


def _rows(apps, query: str) -> list[tuple]:
    with apps.db.admin() as conn:
        return sorted(conn.execute(query, {"pk": _pk(apps)}).fetchall())


def _written_by(apps) -> dict[tuple[int, int, int], str]:
    return {(o, c, k): x for o, c, k, x in _rows(apps, WRITTEN_BY)}


def _push(apps, item: dict) -> None:
    answer = apps.push(item)
    assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "applied", answer.text


def test_a_grown_session_is_indexed_from_where_the_push_wrote(apps) -> None:
    db = database(IngestSettings(database_url=apps.db.ingest_dsn, environment="local"))
    try:
        _push(apps, _session(20))
        assert refresh(db, budget_s=30).indexed == 1
        before = _written_by(apps)
        assert _rows(apps, HELD) == _rows(apps, FROM_SCRATCH)

        # Five more messages, sent from ordinal 20 (what av-client sends for a growing log).
        _push(apps, part(_session(25), 20))
        assert refresh(db, budget_s=30).indexed == 1
        after = _written_by(apps)
        assert {k: x for k, x in after.items() if k[0] < 20} == before  # not one old chunk rewritten
        assert {k[0] for k in after if k not in before} == set(range(20, 25))
        assert _rows(apps, HELD) == _rows(apps, FROM_SCRATCH)

        # Marked gone from its machine: the session changed, none of its messages did.
        gone = {"protocol": 1, "request_id": uuid.uuid4().hex, "session_ids": ["grow"], "action": "gone"}
        assert post(apps, "/v1/deletes", gone).status_code == 200
        assert refresh(db, budget_s=30).indexed == 1
        assert _written_by(apps) == after

        # A rewritten tail (from ordinal 10): the chunks are those of the new texts.
        _push(apps, part(_session(25, edit_from=10), 10))
        assert refresh(db, budget_s=30).indexed == 1
        assert _rows(apps, HELD) == _rows(apps, FROM_SCRATCH)
        assert any("edited" in body for *_, body in _rows(apps, HELD))

        # Sent whole again (no base: every row is rewritten), one message shorter.
        _push(apps, _session(24, edit_from=3))
        assert refresh(db, budget_s=30).indexed == 1
        assert _rows(apps, HELD) == _rows(apps, FROM_SCRATCH)
        assert max(k[0] for k in _written_by(apps)) == 23

        # Deleted at the user's request: nothing of it stays searchable.
        mirror = {"protocol": 1, "request_id": uuid.uuid4().hex, "session_ids": ["grow"], "action": "mirror"}
        assert post(apps, "/v1/deletes", mirror).status_code == 200
        assert refresh(db, budget_s=30).indexed == 1
        assert _rows(apps, HELD) == []
    finally:
        db.close()
