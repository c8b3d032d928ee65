"""Analytics and search on the hand-computed fixture (fixtures.py)."""

from __future__ import annotations

import pytest

from tests.viewer import fixtures
from tests.viewer.test_routes import loaded  # noqa: F401 - the fixture

R = fixtures.RANGE


def test_summary(loaded) -> None:  # noqa: F811
    body = loaded.view("/api/v1/analytics/summary", **R).json()
    assert {k: body[k] for k in fixtures.EXPECTED["summary"]} == fixtures.EXPECTED["summary"]
    one_shot = loaded.view("/api/v1/analytics/summary", include_one_shot="true", **R).json()
    assert (one_shot["total_sessions"], one_shot["active_projects"]) == (4, 3)
    desk = loaded.view("/api/v1/analytics/summary", machine="desk", **R).json()
    assert (desk["total_sessions"], desk["total_messages"]) == (1, 6)
    monday = loaded.view("/api/v1/analytics/summary", dow=0, **R).json()
    assert monday["total_sessions"] == 1  # A; B starts on a Tuesday in UTC
    berlin_wed = loaded.view("/api/v1/analytics/summary", dow=2, timezone="Europe/Berlin", **R).json()
    assert berlin_wed["total_sessions"] == 1  # B is Wednesday 00:30 in Berlin
    nine = loaded.view("/api/v1/analytics/summary", hour=9, **R).json()
    assert nine["total_sessions"] == 1
    outside = loaded.view("/api/v1/analytics/summary", **{"from": "2026-11-04", "to": "2026-11-09"}).json()
    assert outside["total_sessions"] == 0
    berlin = loaded.view(
        "/api/v1/analytics/summary", timezone="Europe/Berlin", **{"from": "2026-11-04", "to": "2026-11-09"}
    ).json()
    assert berlin["total_sessions"] == 1  # B moves onto the 4th


def test_activity_heatmap_projects(loaded) -> None:  # noqa: F811
    day = loaded.view("/api/v1/analytics/activity", **R).json()["series"]
    assert [
        (
            r["date"],
            r["sessions"],
            r["messages"],
            r["user_messages"],
            r["assistant_messages"],
            r["tool_calls"],
            r["thinking_messages"],
        )
        for r in day
    ] == [
        ("2026-11-02", 1, 4, 2, 2, 2, 1),
        ("2026-11-03", 1, 6, 3, 3, 0, 0),
        ("2026-11-10", 1, 4, 2, 2, 0, 0),
    ]
    assert day[0]["by_agent"] == {"claude": 4}
    week = loaded.view("/api/v1/analytics/activity", granularity="week", **R).json()["series"]
    assert [(r["date"], r["sessions"], r["messages"]) for r in week] == [
        ("2026-11-02", 2, 10),
        ("2026-11-09", 1, 4),
    ]
    month = loaded.view("/api/v1/analytics/activity", granularity="month", **R).json()["series"]
    assert [(r["date"], r["sessions"]) for r in month] == [("2026-11-01", 3)]
    heat = loaded.view("/api/v1/analytics/heatmap", **R).json()
    assert len(heat["entries"]) == 30 and heat["entries_from"] == "2026-11-01"
    values = {e["date"]: (e["value"], e["level"]) for e in heat["entries"] if e["value"]}
    # non-zero values 4, 4, 6: nearest-rank quartiles 4 (rank 1), 4 (rank 2), 6 (rank 3), 6
    assert values == {"2026-11-02": (4, 1), "2026-11-03": (6, 3), "2026-11-10": (4, 1)}
    assert heat["levels"] == {"l1": 4, "l2": 4, "l3": 6, "l4": 6}
    sess = loaded.view("/api/v1/analytics/heatmap", metric="sessions", **R).json()
    assert sum(e["value"] for e in sess["entries"]) == 3
    projects = loaded.view("/api/v1/analytics/projects", **R).json()["projects"]
    alpha = projects[0]
    assert (
        alpha["name"],
        alpha["sessions"],
        alpha["messages"],
        alpha["avg_messages"],
        alpha["median_messages"],
        alpha["daily_trend"],
        alpha["agents"],
    ) == ("alpha", 2, 8, 4.0, 4.0, 4.0, {"claude": 2})
    assert (
        alpha["first_session"] == "2026-11-02T09:00:00Z" and alpha["last_session"] == "2026-11-10T12:00:00Z"
    )


def test_hour_of_week_shape_velocity_tools_top(loaded) -> None:  # noqa: F811
    cells = loaded.view("/api/v1/analytics/hour-of-week", **R).json()["cells"]
    assert len(cells) == 168
    nonzero = {(c["day_of_week"], c["hour"]): c["messages"] for c in cells if c["messages"]}
    # A: Mon 09 x4; B: Tue 23:30 23:31 23:41 23:43 23:47 23:48; C: Tue 12 x4
    assert nonzero == {(0, 9): 4, (1, 23): 6, (1, 12): 4}
    berlin = loaded.view("/api/v1/analytics/hour-of-week", timezone="Europe/Berlin", **R).json()["cells"]
    assert {(c["day_of_week"], c["hour"]): c["messages"] for c in berlin if c["messages"]} == {
        (0, 10): 4,
        (2, 0): 6,
        (1, 13): 4,
    }
    shape = loaded.view("/api/v1/analytics/sessions", **R).json()
    assert shape["count"] == 3
    assert {b["label"]: b["count"] for b in shape["length_distribution"]}["1-5"] == 2
    assert {b["label"]: b["count"] for b in shape["duration_distribution"]} == {
        "<5m": 0,
        "5-15m": 2,
        "15-30m": 0,
        "30-60m": 0,
        "1-2h": 1,
        "2h+": 0,
    }  # A 10m, C 7m, B 120m (1-2h inclusive)
    # autonomy = assistant messages with tool use / user messages: A 2/2 = 1, B 0/3 = 0, C 0/2 = 0
    assert {b["label"]: b["count"] for b in shape["autonomy_distribution"]} == {
        "<0.5": 2,
        "0.5-1": 1,
        "1-2": 0,
        "2-5": 0,
        "5-10": 0,
        "10+": 0,
    }
    vel = loaded.view("/api/v1/analytics/velocity", **R).json()
    assert vel["overall"]["turn_cycle_sec"] == fixtures.EXPECTED["turn_cycle_sec"]
    assert vel["overall"]["first_response_sec"] == fixtures.EXPECTED["first_response_sec"]
    assert vel["overall"]["msgs_per_active_min"] == fixtures.EXPECTED["msgs_per_active_min"]
    assert [g["label"] for g in vel["by_agent"]] == ["claude", "codex"]
    assert [(g["label"], g["sessions"]) for g in vel["by_complexity"]] == [("1-15", 3)]
    tools = loaded.view("/api/v1/analytics/tools", **R).json()
    assert tools["total_calls"] == 2
    assert tools["by_category"] == [
        {"category": "bash", "count": 1, "pct": 50.0},
        {"category": "read", "count": 1, "pct": 50.0},
    ]
    assert tools["trend"] == [{"date": "2026-11-02", "by_category": {"read": 1, "bash": 1}}]
    top = loaded.view("/api/v1/analytics/top-sessions", **R).json()["sessions"]
    assert [t["id"] for t in top] == ["desk:B", "laptop:A", "laptop:C"]
    longest = loaded.view("/api/v1/analytics/top-sessions", metric="duration", **R).json()["sessions"]
    assert [(t["id"], t["duration_min"]) for t in longest] == [
        ("desk:B", 120.0),
        ("laptop:A", 10.0),
        ("laptop:C", 7.0),
    ]


def test_tokens_count_each_message_once(loaded) -> None:  # noqa: F811
    body = loaded.view("/api/v1/analytics/tokens", **R).json()
    assert body["totals"] == fixtures.EXPECTED["tokens"]
    assert [(m["model"], m["input_tokens"], m["output_tokens"]) for m in body["by_model"]] == [
        ("m1", 150, 15),
        ("m2", 7, 3),
    ]
    assert [(d["date"], d["output_tokens"]) for d in body["by_day"]] == [
        ("2026-11-02", 15),
        ("2026-11-10", 3),
    ]


def refresh(apps) -> int:
    """Run the search indexer as the ingest role would (it holds the EXECUTE grant)."""
    import psycopg

    with psycopg.connect(apps.db.ingest_dsn, autocommit=True, options="-c search_path=av") as conn:
        return conn.execute("SELECT refresh_search(1000)").fetchone()[0]


@pytest.mark.parametrize("indexed", [False, True], ids=["pending", "indexed"])
def test_search_semantics(loaded, indexed) -> None:  # noqa: F811
    if indexed:
        assert refresh(loaded) == 5 and refresh(loaded) == 0

    def hits(**params):
        r = loaded.view("/api/v1/search", **params)
        assert r.status_code == 200, r.json()
        return [(h["session_id"], h["ordinal"], h["source"]) for h in r.json()["rows"]]

    assert set(hits(q="message")) >= {("laptop:A", 0, "message"), ("desk:B", 5, "message")}
    assert set(hits(q='"u message 2"')) == {
        ("laptop:A", 2, "message"),
        ("desk:B", 2, "message"),
        ("laptop:E", 2, "message"),
    }
    assert hits(q='"message u 2"') == []  # a phrase is ordered
    assert {h[0] for h in hits(q='"u message 2"', project="beta")} == {"desk:B"}
    assert {h[0] for h in hits(q="message", agent="codex")} == {"desk:B"}
    assert {h[0] for h in hits(q="message", machine="laptop")} == {
        "laptop:A",
        "laptop:C",
        "laptop:D",
        "laptop:E",
    }
    assert hits(q="needle_output") == [("laptop:A", 1, "tool_output")]
    assert hits(q="needle*") == [("laptop:A", 1, "tool_output")]
    assert hits(q="needle_out", mode="substring") == [("laptop:A", 1, "tool_output")]
    assert hits(q="message 1 -B") and all(h[0] != "desk:B" for h in hits(q="message 1 -B"))
    page1 = loaded.view("/api/v1/search", q="message", limit=5, sort="recent").json()
    assert len(page1["rows"]) == 5 and page1["next"]
    seen, cursor = [], None
    for _ in range(10):
        page = loaded.view(
            "/api/v1/search", q="message", limit=5, sort="recent", **({"cursor": cursor} if cursor else {})
        ).json()
        seen += [(h["session_id"], h["ordinal"]) for h in page["rows"]]
        cursor = page["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 20  # every non-system message of A B C D E
    forged = loaded.view("/api/v1/search", q="other", cursor=page1["next"])
    assert forged.status_code == 400 and forged.json()["error"].startswith("cursor:")
    assert loaded.view("/api/v1/search").status_code == 400


@pytest.mark.parametrize("indexed", [False, True], ids=["pending", "indexed"])
def test_search_snippets_are_marked_and_escaped(apps, indexed) -> None:
    from tests.apps import make_session

    s = make_session("x", messages=2)
    s["messages"][0]["content"] = "run <b>handleRequest</b> & /srv/app/main_loop.py then 東京都の天気"
    s["messages"][1]["tool_calls"][0]["result_content"] = "start " + "z" * 1_500_000 + " tail"
    assert apps.push(s).json()["results"][0]["status"] == "applied"
    if indexed:
        assert refresh(apps) == 1
    r = apps.view("/api/v1/search", q="handleRequest").json()["rows"][0]
    assert "<mark>handleRequest</mark>" in r["snippet"]
    assert "&lt;b&gt;" in r["snippet"] and "<b>" not in r["snippet"] and "&amp;" in r["snippet"]
    assert (
        apps.view("/api/v1/search", q="京都", mode="substring")
        .json()["rows"][0]["snippet"]
        .count("<mark>京都</mark>")
        == 1
    )
    assert len(apps.view("/api/v1/search", q="app/main_lo", mode="substring").json()["rows"]) == 1
    assert len(apps.view("/api/v1/search", q="main_loop.py", mode="substring").json()["rows"]) == 1
    # the 1.5 MB tool output did not break indexing and is found by its head
    big = apps.view("/api/v1/search", q="start").json()["rows"]
    assert [(h["ordinal"], h["source"]) for h in big] == [(1, "tool_output")]
    assert len(big[0]["snippet"]) < 1000


def test_indexer_follows_changes_and_normalises_like_the_query(apps) -> None:
    import psycopg

    from tests.apps import make_session

    with psycopg.connect(apps.db.ingest_dsn, autocommit=True, options="-c search_path=av") as conn:
        text = conn.execute(
            "SELECT search_text(%s)", ("a!b\"c#d$e%f&g'h(i)j*k+l,m-n.o/p:q;r<s=t>u?v@w[x\\y]z^A_B`C{D|E}F~G",)
        ).fetchone()[0]
        assert text.split() == list("abcdefghijklmnopqrstuvwxyzABCDEFG")
        assert conn.execute("SELECT search_text('東京x')").fetchone()[0].split() == ["東", "京", "x"]
    s = make_session("x", messages=2)
    s["messages"][0]["content"] = "alpha marker"
    apps.push(s)
    assert refresh(apps) == 1
    assert len(apps.view("/api/v1/search", q="marker").json()["rows"]) == 1
    s["messages"][0]["content"] = "beta replaced"
    s["fingerprint"] = "e" * 64
    apps.push(s)
    # pending again: the old words are gone at once, the new ones found before re-indexing
    assert apps.view("/api/v1/search", q="marker").json()["rows"] == []
    assert len(apps.view("/api/v1/search", q="replaced").json()["rows"]) == 1
    assert refresh(apps) == 1
    assert apps.view("/api/v1/search", q="marker").json()["rows"] == []
    assert apps.view("/api/v1/search", q="replaced").json()["rows"][0]["rank"] > 0  # from the index now
    with psycopg.connect(apps.db.viewer_dsn, autocommit=True, options="-c search_path=av") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT refresh_search(10)")


ROLLUP_ENDPOINTS = [
    ("activity", {}),
    ("activity", {"granularity": "week"}),
    ("hour-of-week", {}),
    ("sessions", {}),
    ("velocity", {}),
    ("tools", {}),
    ("tokens", {}),
]
ZONES = ["UTC", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham"]


def all_figures(apps, zones=ZONES, **extra) -> dict:
    out = {}
    for path, params in ROLLUP_ENDPOINTS:
        for tz in zones:
            body = apps.view(
                f"/api/v1/analytics/{path}", timezone=tz, include_one_shot="true", **params, **extra
            ).json()
            assert body["ok"], body
            out[(path, tuple(params.items()), tz)] = body
    return out


def rollup_rows(apps) -> int:
    with apps.db.admin() as conn:
        return conn.execute("SELECT count(*) FROM av.session_rollup").fetchone()[0]


def forget_rollups(apps) -> None:
    """Drop the rollup rows, so the viewer computes every session from its raw rows again."""
    with apps.db.admin() as conn:
        conn.execute("DELETE FROM av.session_rollup")


def test_rollups_equal_the_raw_computation_and_merge_with_pending_sessions(loaded) -> None:  # noqa: F811
    from tests.apps import make_session

    raw = all_figures(loaded, **R)
    assert rollup_rows(loaded) == 0
    assert refresh(loaded) == 5 and refresh(loaded) == 0 and rollup_rows(loaded) == 5
    assert all_figures(loaded, **R) == raw  # every figure now from rollups, identical
    # the hand-computed figures hold on the rollup path too
    test_activity_heatmap_projects(loaded)
    test_hour_of_week_shape_velocity_tools_top(loaded)
    test_tokens_count_each_message_once(loaded)
    # a new session and a changed one are pending: computed raw and merged with the rollups
    new = make_session("N", messages=6)
    new["started_at"] = "2026-11-20T10:00:00+00:00"
    changed = fixtures.sessions()["laptop"][0]
    changed["messages"][2]["content"] = "A u message 2, edited"
    changed["messages"][2]["has_thinking"] = True
    changed["fingerprint"] = "f" * 64
    assert all(r["status"] == "applied" for r in loaded.push(new, changed).json()["results"])
    mixed = all_figures(loaded, **R)
    assert mixed != raw
    with loaded.db.admin() as conn:
        rolled = conn.execute(
            "SELECT count(*) FROM av.session_rollup r JOIN av.sessions s ON s.id = r.session_pk "
            "WHERE r.rolled_seq = s.change_seq"
        ).fetchone()[0]
    assert rolled == 4  # B C D E still rolled up; A (changed) and N (new) are not
    forget_rollups(loaded)
    assert all_figures(loaded, **R) == mixed
    assert refresh(loaded) == 6 and all_figures(loaded, **R) == mixed


def test_rollup_slots_split_by_an_odd_offset_are_recounted(apps) -> None:
    """Monrovia was -0:44:30 until 1972: its local hours and days cut 15-minute UTC slots."""
    s = fixtures._session("H", "hist", "claude", "1971-06-01T00:40:00Z", "u a a u", [260, 25, 1200])
    for i, m in enumerate(s["messages"][1:3]):
        m.update(model="m9", message_key=f"h{i}", usage={"input_tokens": 1, "output_tokens": 1 + i})
    assert apps.push(s).json()["results"][0]["status"] == "applied"
    rng = {"from": "1971-05-01", "to": "1971-06-30"}
    zones = ["Africa/Monrovia", "UTC", "Asia/Kolkata"]
    raw = all_figures(apps, zones, **rng)
    monrovia = {
        (c["day_of_week"], c["hour"]): c["messages"]
        for c in raw[("hour-of-week", (), "Africa/Monrovia")]["cells"]
        if c["messages"]
    }
    # local 23:55:30 and 23:59:50 on Monday 31 May, 00:00:15 and 00:20:15 on Tuesday 1 June
    assert monrovia == {(0, 23): 2, (1, 0): 2}
    days = raw[("tokens", (), "Africa/Monrovia")]["by_day"]
    assert [(d["date"], d["output_tokens"]) for d in days] == [("1971-05-31", 1), ("1971-06-01", 2)]
    assert refresh(apps) == 1 and rollup_rows(apps) == 1
    assert all_figures(apps, zones, **rng) == raw


@pytest.mark.parametrize("indexed", [False, True], ids=["pending", "indexed"])
def test_substring_pages_through_exact_hits_only(apps, indexed) -> None:
    """Texts with the same tokens but not the substring are never hits, on any page."""
    from tests.apps import make_session

    s = make_session("sub", messages=300)
    for m in s["messages"]:
        exact = m["ordinal"] % 3 == 0
        m["content"] = f"step {m['ordinal']}: " + ("call foo_bar now" if exact else "call foo bar now")
        m.pop("tool_calls", None)
        m["has_tool_use"] = False
    assert apps.push(s).json()["results"][0]["status"] == "applied"
    if indexed:
        assert refresh(apps) == 1
    for sort, limit in (("recent", 7), ("rank", 40), ("recent", 200)):
        seen, cursor = [], None
        for _ in range(100):
            page = apps.view(
                "/api/v1/search",
                q="foo_bar",
                mode="substring",
                sort=sort,
                limit=limit,
                **({"cursor": cursor} if cursor else {}),
            ).json()
            seen += [(h["ordinal"], h["rank"]) for h in page["rows"]]
            cursor = page["next"]
            if not cursor:
                break
        assert sorted(o for o, _ in seen) == list(range(0, 300, 3))
        if sort == "recent":
            assert [o for o, _ in seen] == sorted((o for o, _ in seen), reverse=True)  # newest first
        assert all(r > 0 for _, r in seen)  # ranked alike whether indexed or pending
    words = apps.view("/api/v1/search", q="foo bar", sort="recent", limit=5).json()["rows"]
    assert [h["ordinal"] for h in words] == [299, 298, 297, 296, 295]
    assert all(h["rank"] > 0 for h in words)
