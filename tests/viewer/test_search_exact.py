"""What each search mode matches, on the cases issue 15 named, before and after indexing."""

from __future__ import annotations

import psycopg
import pytest

from tests.apps import make_session
from viewer_fn.queries_search import SEARCH_WINDOW


def _index(apps) -> None:
    with psycopg.connect(apps.db.ingest_dsn, autocommit=True, options="-c search_path=av") as conn:
        while conn.execute("SELECT refresh_search(100)").fetchone()[0]:
            pass


def _hits(apps, q: str, **params) -> set[tuple[int, str]]:
    r = apps.view("/api/v1/search", q=q, limit=500, **params)
    assert r.status_code == 200, r.text
    return {(h["ordinal"], h["source"]) for h in r.json()["rows"]}


LONG = "lorem ipsum dolor " * 3000  # 54,000 characters: four chunks


@pytest.fixture
def texts(apps):
    s = make_session("ex", messages=6)
    m = s["messages"]
    m[0]["content"] = "def handleRequest(self): open('myfile.py')"
    m[1]["content"] = "the request was handled"
    m[1]["tool_calls"][0]["result_content"] = "x" * 5000 + " deepword_in_output " + LONG
    m[2]["content"] = (
        LONG[:33000] + " farword after the old 32k prefix; the " + LONG[:20000] + " closing phrase"
    )
    # A phrase across the first chunk boundary (stride 6,144 bytes): found in the chunk that overlaps it.
    m[3]["content"] = "a" * 6130 + " straddling phrase here " + LONG[:4000]
    m[3]["tool_calls"][0]["result_content"] = "keep this " + LONG + " but dropme at the end"
    m[4]["content"] = "東京都の天気は晴れ。データベースの索引を作成しました。"
    m[5]["content"] = "ok"
    assert apps.push(s).json()["results"][0]["status"] == "applied"
    return apps


@pytest.mark.parametrize("indexed", [False, True], ids=["pending", "indexed"])
def test_substrings_start_anywhere_and_reach_the_end_of_every_text(texts, indexed) -> None:
    if indexed:
        _index(texts)
    sub = {"mode": "substring"}
    assert _hits(texts, "Request", **sub) == {(0, "message"), (1, "message")}  # inside handleRequest
    assert _hits(texts, "andleReq", **sub) == {(0, "message")}
    assert _hits(texts, "file.py", **sub) == {(0, "message")}  # inside myfile.py
    assert _hits(texts, "FILE.PY')", **sub) == {(0, "message")}  # any case, punctuation literal
    assert _hits(texts, "deepword_in", **sub) == {(1, "tool_output")}  # past 4,096 of a tool output
    assert _hits(texts, "farword after", **sub) == {(2, "message")}  # past 32,768 of a message
    assert _hits(texts, "closing phr", **sub) == {(2, "message")}  # in the last chunk
    assert _hits(texts, "straddling phrase", **sub) == {(3, "message")}
    assert _hits(texts, "索引", **sub) == {(4, "message")}  # two CJK characters: no trigram, tokens
    assert _hits(texts, "天気は晴れ", **sub) == {(4, "message")}
    assert _hits(texts, "晴れ。デ", **sub) == {(4, "message")}


@pytest.mark.parametrize("indexed", [False, True], ids=["pending", "indexed"])
def test_words_are_whole_tokens_anywhere_in_the_text(texts, indexed) -> None:
    if indexed:
        _index(texts)
    assert _hits(texts, "request") == {(1, "message")}  # not inside handleRequest: words are tokens
    assert _hits(texts, "handleRequest") == {(0, "message")}
    assert _hits(texts, "myfile.py") == {(0, "message")}
    assert _hits(texts, "file.py") == set()  # the phrase file <-> py: myfile is another token
    assert _hits(texts, "deepword_in_output") == {(1, "tool_output")}
    assert _hits(texts, "farword") == {(2, "message")}
    assert _hits(texts, '"closing phrase"') == {(2, "message")}
    assert _hits(texts, '"straddling phrase here"') == {(3, "message")}
    assert _hits(texts, "索引") == {(4, "message")}
    # An excluded word anywhere in the text excludes it, even chunks away from the match.
    assert _hits(texts, "keep") == {(3, "tool_output")}
    assert _hits(texts, "keep -dropme") == set()
    assert _hits(texts, "keep -absent") == {(3, "tool_output")}


def test_a_substring_too_short_to_look_up_is_refused_with_the_reason(apps) -> None:
    for q in ("ab", "a.b", "🎉", "x_1"):
        r = apps.view("/api/v1/search", q=q, mode="substring")
        assert r.status_code == 400, (q, r.text)
        assert "3 letters or digits in a row, or a CJK character" in r.json()["error"]
    assert apps.view("/api/v1/search", q="索", mode="substring").status_code == 200
    assert apps.view("/api/v1/search", q="abc", mode="substring").status_code == 200


@pytest.mark.parametrize("indexed", [False, True], ids=["pending", "indexed"])
def test_more_matches_than_the_window_are_announced_with_how_far_back_it_looked(apps, indexed) -> None:
    total = SEARCH_WINDOW + 30
    s = make_session("many", messages=total)
    for m in s["messages"]:
        m["content"] = f"common word number {m['ordinal']}" + (" rare" if m["ordinal"] < 3 else "")
        m.pop("tool_calls", None)
        m["has_tool_use"] = False
    assert apps.push(s).json()["results"][0]["status"] == "applied"
    if indexed:
        _index(apps)
    page = apps.view("/api/v1/search", q="common", sort="recent", limit=10).json()
    assert page["truncated"] is True and page["window"] == SEARCH_WINDOW
    timestamps = {m["ordinal"]: m["timestamp"] for m in s["messages"]}
    oldest_in_window = total - SEARCH_WINDOW  # ordinals are in time order
    assert page["looked_back_to"].replace("+00:00", "Z") == timestamps[oldest_in_window]
    assert [h["ordinal"] for h in page["rows"]] == list(range(total - 1, total - 11, -1))
    rare = apps.view("/api/v1/search", q="rare").json()
    assert rare["truncated"] is False and rare["looked_back_to"] is None
    assert sorted(h["ordinal"] for h in rare["rows"]) == [0, 1, 2]


def test_chunks_cover_the_text_overlap_by_2_kb_and_never_cut_a_character(db) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    piece = st.sampled_from(["word ", "東京 ", "😀", "x" * 300, "é", "\n", "handleRequest(self) ", " " * 40])

    @settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(piece, min_size=1, max_size=400).map("".join))
    def check(text: str) -> None:
        with db.admin() as conn:
            rows = conn.execute(
                "SELECT chunk, start_char, body FROM av.text_chunks(%s) ORDER BY chunk", (text,)
            )
            chunks = rows.fetchall()
        assert [c[0] for c in chunks] == list(range(len(chunks)))
        assert chunks[0][1] == 1
        for _, start, body in chunks:
            assert text[start - 1 : start - 1 + len(body)] == body  # where it says, whole characters
            assert len(body.encode()) <= 6144 + 2048 + 2 * 256 + 4
        last_start, last_body = chunks[-1][1], chunks[-1][2]
        assert last_start - 1 + len(last_body) == len(text)  # to the end
        for (_, s1, b1), (_, s2, _) in zip(chunks, chunks[1:], strict=False):
            shared = text[s2 - 1 : s1 - 1 + len(b1)]
            assert len(shared.encode()) >= 2048  # any 500 characters lie whole in one chunk

    check()
