"""A phrase's window holds phrase matches: old hits are found behind more than a window of
newer documents that hold the same words out of order (the window is never filled with word
matches first and the phrase checked after)."""

from __future__ import annotations

import psycopg
import pytest

from tests.apps import make_session
from viewer_fn.queries_search import SEARCH_WINDOW

EXACT = 5
DECOYS = SEARCH_WINDOW + 200  # newer than every exact hit, holding the same words out of order


@pytest.fixture
def decoyed(apps):
    s = make_session("phr", messages=EXACT + DECOYS)
    for m in s["messages"]:
        exact = m["ordinal"] < EXACT  # the oldest messages
        m["content"] = f"step {m['ordinal']}: " + (
            "alpha beta, then 索引 built" if exact else "beta alpha, 引 then 索 built"
        )
        m.pop("tool_calls", None)
        m["has_tool_use"] = False
    assert apps.push(s).json()["results"][0]["status"] == "applied"
    return apps


def _ordinals(apps, **params: object) -> set[int]:
    r = apps.view("/api/v1/search", limit=50, **params)
    assert r.status_code == 200, r.text
    return {h["ordinal"] for h in r.json()["rows"]}


@pytest.mark.parametrize("indexed", [False, True], ids=["pending", "indexed"])
@pytest.mark.parametrize("sort", ["rank", "recent"])
def test_old_phrase_hits_are_found_behind_a_window_of_newer_decoys(decoyed, indexed, sort) -> None:
    if indexed:
        with psycopg.connect(decoyed.db.ingest_dsn, autocommit=True, options="-c search_path=av") as conn:
            assert conn.execute("SELECT refresh_search(10)").fetchone()[0] == 1
    exact = set(range(EXACT))
    assert _ordinals(decoyed, q='"alpha beta"', sort=sort) == exact
    assert _ordinals(decoyed, q='"alpha beta" -missing', sort=sort) == exact
    assert _ordinals(decoyed, q='"alpha beta" -built', sort=sort) == set()
    assert _ordinals(decoyed, q="索引", sort=sort) == exact  # CJK: a phrase of single characters
    assert _ordinals(decoyed, q="索引", mode="substring", sort=sort) == exact
    assert len(_ordinals(decoyed, q="alpha beta", sort=sort)) == 50  # words in any order: all match
