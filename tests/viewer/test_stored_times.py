"""A time stored out of Python's range (year 10000, BC) never fails a read route (issue 11 item 4).

Before ingest refused them, such times were stored; migration 0011 nulls them, and whatever
slips in anyway reads as null (avcore/db/times.py). The rows are written here as the database
owner, past ingest's checks, as the old code stored them."""

from __future__ import annotations

import psycopg
import pytest

from tests.apps import make_session

FAR = "10000-01-01 00:59:59+00"  # 9999-12-31T23:59:59-01:00 as it was stored
BC = "0044-03-15 12:00:00+00 BC"


def _index(apps) -> None:
    with psycopg.connect(apps.db.ingest_dsn, autocommit=True, options="-c search_path=av") as conn:
        while conn.execute("SELECT refresh_search(100)").fetchone()[0]:
            pass


@pytest.fixture
def stored(apps):
    assert apps.push(make_session("odd", messages=4), make_session("fine", messages=2)).status_code == 200
    with apps.db.admin() as conn:
        conn.execute("SET search_path = av")
        pk = conn.execute("SELECT id FROM sessions WHERE session_id = 'odd'").fetchone()[0]
        conn.execute("UPDATE messages SET ts = %s WHERE session_pk = %s AND ordinal = 0", (FAR, pk))
        conn.execute("UPDATE messages SET ts = %s WHERE session_pk = %s AND ordinal = 1", (BC, pk))
        conn.execute(
            "UPDATE sessions SET started_at = %s, ended_at = %s, created_at = %s, change_seq = nextval('change_seq') "
            "WHERE id = %s",
            (BC, FAR, FAR, pk),
        )
    _index(apps)
    return apps


ROUTES = [
    ("/api/v1/sessions/laptop:odd", {}),
    ("/api/v1/sessions/laptop:odd/messages", {}),
    ("/api/v1/sessions/laptop:odd/messages", {"direction": "desc"}),
    ("/api/v1/sessions/laptop:odd/minimap", {}),
    ("/api/v1/sessions/laptop:odd/export", {}),
    ("/api/v1/sessions/laptop:odd/cost", {}),
    ("/api/v1/sessions/laptop:odd/version", {}),
    ("/api/v1/sessions/laptop:odd/search", {"q": "message"}),
    ("/api/v1/sessions", {}),
    ("/api/v1/search", {"q": "message"}),
    ("/api/v1/search", {"q": "message of odd", "mode": "substring"}),
    ("/api/v1/changes", {}),
    ("/api/v1/analytics/tokens", {"date_from": "2026-01-01", "date_to": "2026-12-31"}),
    ("/api/v1/analytics/top-sessions", {"date_from": "2026-01-01", "date_to": "2026-12-31"}),
]


@pytest.mark.parametrize(("path", "params"), ROUTES)
def test_a_stored_time_out_of_range_never_fails_a_route(stored, path: str, params: dict[str, str]) -> None:
    r = stored.view(path, **params)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])


def test_the_out_of_range_times_read_as_null(stored) -> None:
    rows = stored.view("/api/v1/sessions/laptop:odd/messages", direction="asc").json()["rows"]
    assert [m["timestamp"] for m in rows[:2]] == [None, None]
    assert rows[2]["timestamp"] == "2026-11-01T10:00:02Z"
    session = stored.view("/api/v1/sessions/laptop:odd").json()["session"]
    assert (session["started_at"], session["ended_at"]) == (None, None)
    hits = stored.view("/api/v1/search", q="user message 0 of odd", mode="substring").json()["rows"]
    assert [(h["ordinal"], h["timestamp"]) for h in hits] == [(0, None)]
