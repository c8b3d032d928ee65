"""Cost in dollars, checked against figures computed by hand from the providers' published prices.

Published prices (USD per million tokens): Claude Sonnet 4.5 input 3, output 15, cache read
0.30, cache write 3.75, and for a request whose prompt passes 200k tokens 6 / 22.50 / 0.60 /
7.50 (on all of that request's tokens); Claude Haiku 4.5 1 / 5 / 0.10 / 1.25; GPT-5-Codex
input 1.25, output 10, cache read 0.125.

  P (laptop, alpha, 2026-11-02, claude)
    m1 sonnet-4.5: in 1,000, cache write 2,000, cache read 10,000, out 500 (prompt 13,000)
       = 1000*3 + 2000*3.75 + 10000*0.30 + 500*15           = 21,000 µ$  -> 0.021
    m3 sonnet-4.5, logged as two rows of one response (key k2; counted once):
       in 100, cache read 250,000, out 200 (prompt 250,100 > 200k: the long-context tier)
       = 100*6 + 250000*0.60 + 200*22.50                    = 155,100 µ$ -> 0.1551
  E (subagent of P, 2026-11-02) haiku-4.5: in 2,000, out 300 = 2000*1 + 300*5 = 3,500 µ$ -> 0.0035
  Q (desk, beta, 2026-11-03, codex)
    m1 gpt-5-codex: in 10,000, cache read 40,000, out 1,000
       = 10000*1.25 + 40000*0.125 + 1000*10                 = 27,500 µ$  -> 0.0275
    m3 my-local-model: in 5,000, out 100: no price -> unpriced, never $0
"""

from __future__ import annotations

import socket

import pytest

from infra.credentials import add_device
from tests.apps import hexhash
from tests.viewer.test_analytics import refresh
from viewer_fn import pricing

RANGE = {"from": "2026-11-01", "to": "2026-11-30"}
SONNET, HAIKU, CODEX = "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "gpt-5-codex"


def _session(sid: str, start: str, agent: str, assistant: list[dict], **extra) -> dict:
    msgs = []
    for i, usage in enumerate([None, *assistant, None]):
        m = {
            "ordinal": i,
            "role": "user" if usage is None else "assistant",
            "content": f"{sid} {i}",
            "timestamp": f"{start}T10:0{i}:00Z",
            "chain_hash": hexhash(sid, i),
        }
        if usage:
            m.update(usage)
        msgs.append(m)
    msgs.append(
        {"ordinal": len(msgs), "role": "user", "content": "thanks", "timestamp": f"{start}T10:09:00Z"}
    )
    msgs[-1]["chain_hash"] = hexhash(sid, len(msgs) - 1)
    return {
        "session_id": sid,
        "agent": agent,
        "project": extra.pop("project", "alpha"),
        "started_at": f"{start}T10:00:00Z",
        "ended_at": f"{start}T10:09:00Z",
        "first_message": f"{sid} 0",
        "fingerprint": hexhash(sid, "cost"),
        "messages": msgs,
        **extra,
    }


def _usage(model: str, key: str, **tokens: int) -> dict:
    return {"model": model, "message_key": key, "usage": tokens}


@pytest.fixture
def priced(apps):
    p = _session(
        "P",
        "2026-11-02",
        "claude",
        [
            _usage(
                SONNET,
                "k1",
                input_tokens=1000,
                cache_creation_tokens=2000,
                cache_read_tokens=10000,
                output_tokens=500,
            ),
            _usage(SONNET, "k2", input_tokens=100, cache_read_tokens=250_000, output_tokens=200),
            _usage(SONNET, "k2", input_tokens=100, cache_read_tokens=250_000, output_tokens=200),
        ],
    )
    e = _session(
        "E",
        "2026-11-02",
        "claude",
        [_usage(HAIKU, "h1", input_tokens=2000, output_tokens=300)],
        relationship="subagent",
        parent_session_id="P",
    )
    q = _session(
        "Q",
        "2026-11-03",
        "codex",
        [
            _usage(CODEX, "c1", input_tokens=10_000, cache_read_tokens=40_000, output_tokens=1000),
            _usage("my-local-model", "c2", input_tokens=5000, output_tokens=100),
        ],
        project="beta",
    )
    assert all(r["status"] == "applied" for r in apps.push(p, e).json()["results"])
    with apps.db.admin() as conn:
        desk = add_device(conn, machine="desk").token
    assert apps.push(q, token=desk).json()["results"][0]["status"] == "applied"
    return apps


def _check(body: dict) -> None:
    assert body["currency"] == "USD" and body["prices"]["source"] == "genai-prices"
    assert body["prices"]["version"] and body["prices"]["as_of"]
    t = body["totals"]
    assert t["usd"] == pytest.approx(0.2071, abs=1e-9)
    assert (t["messages"], t["unpriced_messages"]) == (5, 1)
    assert (t["input_tokens"], t["cache_read_tokens"]) == (
        1000 + 100 + 2000 + 10_000 + 5000,
        10_000 + 250_000 + 40_000,
    )
    models = {m["model"]: (m["usd"], m["priced"], m["messages"]) for m in body["by_model"]}
    assert models == {
        SONNET: (pytest.approx(0.1761), True, 2),
        CODEX: (pytest.approx(0.0275), True, 1),
        HAIKU: (pytest.approx(0.0035), True, 1),
        "my-local-model": (None, False, 1),
    }
    assert body["unpriced"] == [
        {
            "model": "my-local-model",
            "messages": 1,
            "input_tokens": 5000,
            "output_tokens": 100,
            "cache_creation_tokens": 0,
            "cache_read_tokens": 0,
        }
    ]
    by = {
        k: {r.get("name", r.get("date", r.get("id"))): r["usd"] for r in body[k]}
        for k in ("by_project", "by_machine", "top_sessions")
    }
    assert by["by_project"] == {"alpha": pytest.approx(0.1796), "beta": pytest.approx(0.0275)}
    assert by["by_machine"] == {"laptop": pytest.approx(0.1796), "desk": pytest.approx(0.0275)}
    assert by["top_sessions"] == {"laptop:P": pytest.approx(0.1796), "desk:Q": pytest.approx(0.0275)}
    assert [(d["date"], d["usd"]) for d in body["by_day"]] == [
        ("2026-11-02", pytest.approx(0.1796)),
        ("2026-11-03", pytest.approx(0.0275)),
    ]


def test_cost_matches_hand_computed_prices_before_and_after_the_rollup(priced) -> None:
    _check(priced.view("/api/v1/analytics/cost", **RANGE).json())  # from raw rows
    assert refresh(priced) >= 3
    _check(priced.view("/api/v1/analytics/cost", **RANGE).json())  # from rollups split by prompt class
    only_desk = priced.view("/api/v1/analytics/cost", machine="desk", **RANGE).json()
    assert only_desk["totals"]["usd"] == pytest.approx(0.0275)


def test_only_unpriced_usage_is_null_never_zero(priced) -> None:
    q = priced.view("/api/v1/analytics/cost", project="beta", **RANGE).json()
    models = {m["model"]: m["usd"] for m in q["by_model"]}
    assert models["my-local-model"] is None
    empty = priced.view("/api/v1/analytics/cost", **{"from": "2026-10-01", "to": "2026-10-02"}).json()
    assert empty["totals"]["usd"] == 0 and empty["totals"]["messages"] == 0 and empty["by_model"] == []


def test_pricing_reads_the_bundled_table_and_opens_no_connection(priced, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("pricing tried to open a network connection")

    import genai_prices.data_snapshot as snapshot

    pricing.price_table.cache_clear()
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    table = pricing.price_table()  # imported and loaded here, with every socket refused
    rate = table.rates(SONNET, 0, None)
    assert rate is not None and rate.input * 1_000_000 == 3
    assert snapshot._custom_snapshot is None and not snapshot.get_snapshot().from_auto_update
    monkeypatch.undo()
    _check(priced.view("/api/v1/analytics/cost", **RANGE).json())


def test_prompt_classes_cover_every_tier_of_the_table(priced) -> None:
    """The thresholds of migration 0006 (prompt_class in SQL) and pricing.PROMPT_THRESHOLDS agree,
    and hold every tier start of the bundled table; price changes in a day fall on 15-minute slots."""
    from datetime import time

    from genai_prices import types
    from genai_prices.data import providers

    starts, times = set(), set()
    for provider in providers:
        for model in provider.models:
            conditional = model.prices if isinstance(model.prices, list) else []
            prices = [c.prices for c in conditional] or [model.prices]
            for c in conditional:
                if isinstance(c.constraint, types.TimeOfDateConstraint):
                    times |= {c.constraint.start_time, c.constraint.end_time}
            for price in prices:
                for value in vars(price).values():
                    if isinstance(value, types.TieredPrices):
                        starts |= {tier.start for tier in value.tiers}
    assert starts <= set(pricing.PROMPT_THRESHOLDS), sorted(starts - set(pricing.PROMPT_THRESHOLDS))
    assert all(isinstance(t, time) and t.minute % 15 == 0 and t.second == 0 for t in times)
    with priced.db.admin() as conn:
        for k, threshold in enumerate(pricing.PROMPT_THRESHOLDS):
            got = conn.execute(
                "SELECT av.prompt_class(%s), av.prompt_class(%s)", (threshold, threshold + 1)
            ).fetchone()
            assert got == (k, k + 1)
            assert pricing.class_prompt(k + 1) == threshold + 1


def test_session_cost_counts_its_children_and_matches_the_dashboard(priced) -> None:
    def cost(sid: str) -> dict:
        r = priced.view(f"/api/v1/sessions/{sid}/cost")
        assert r.status_code == 200, r.text
        return r.json()

    for stage in ("raw rows", "rollups"):
        p = cost("laptop:P")
        assert p["id"] == "laptop:P" and p["currency"] == "USD", stage
        assert p["prices"]["source"] == "genai-prices" and p["prices"]["version"] and p["prices"]["as_of"]
        assert p["total"]["usd"] == pytest.approx(0.1796) and p["total"]["messages"] == 3, stage
        assert p["own"]["usd"] == pytest.approx(0.1761) and p["own"]["messages"] == 2, stage
        assert p["children"] == 1 and p["unpriced"] == []
        assert [(m["model"], m["usd"]) for m in p["by_model"]] == [
            (SONNET, pytest.approx(0.1761)),
            (HAIKU, pytest.approx(0.0035)),
        ]
        e = cost("laptop:E")  # a child alone
        assert (e["total"]["usd"], e["own"]["usd"], e["children"]) == (pytest.approx(0.0035),) * 2 + (0,)
        q = cost("desk:Q")  # a priced part and an unpriced model: the priced part, and the rest listed
        assert q["total"]["usd"] == pytest.approx(0.0275)
        assert (q["total"]["messages"], q["total"]["unpriced_messages"]) == (2, 1)
        assert [(u["model"], u["input_tokens"]) for u in q["unpriced"]] == [("my-local-model", 5000)]
        assert {m["model"]: m["usd"] for m in q["by_model"]}["my-local-model"] is None
        refresh(priced)

    dashboard = priced.view("/api/v1/analytics/cost", **RANGE).json()
    assert dashboard["prices"] == p["prices"]
    assert priced.view("/api/v1/sessions/laptop:nope/cost").status_code == 404


def test_session_cost_of_only_unknown_models_is_null_never_zero(apps) -> None:
    u = _session(
        "U", "2026-11-04", "claude", [_usage("my-local-model", "u1", input_tokens=7, output_tokens=3)]
    )
    assert apps.push(u).json()["results"][0]["status"] == "applied"
    body = apps.view("/api/v1/sessions/laptop:U/cost").json()
    assert body["total"]["usd"] is None and body["own"]["usd"] is None
    assert body["total"]["unpriced_messages"] == 1 and body["unpriced"][0]["model"] == "my-local-model"
    none = _session("N", "2026-11-04", "claude", [])  # no usage at all: nothing spent, $0
    assert apps.push(none).json()["results"][0]["status"] == "applied"
    empty = apps.view("/api/v1/sessions/laptop:N/cost").json()
    assert empty["total"] == {
        "usd": 0,
        "messages": 0,
        "unpriced_messages": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_creation_tokens": 0,
        "cache_read_tokens": 0,
    }
