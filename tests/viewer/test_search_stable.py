"""Search answers are exact and stable (issue 15 item 3).

Property: for random texts (code identifiers, paths, CJK, emoji, mixed case, long texts that
span several chunks) and random pieces of them as queries, the answer of every mode is the
same before the indexer has run (the session is scanned) and after (it is found through the
index): same messages and tool outputs, same order, ranks and snippets. Substring answers
also equal PostgreSQL's own ILIKE over the whole texts.
"""

from __future__ import annotations

import itertools
import uuid

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.apps import hexhash
from viewer_fn.queries_sessions import like_pattern

CASE_FOLDS = "AaÄäÖöÜüßẞİıIiΣσςΩω"  # where Unicode upper/lower case is not one to one
IDENT = st.from_regex(r"[a-z]{1,6}([A-Z][a-z]{1,6}){0,3}|[a-z]{1,5}(_[a-z0-9]{1,5}){0,3}", fullmatch=True)
PATH = st.from_regex(r"(/[A-Za-z0-9_.\-]{1,8}){1,4}\.(py|ts|json)", fullmatch=True)
CJK = st.text(alphabet="東京都日本語索引検索天気晴れのをはですデータベースカナ한국어", min_size=1, max_size=6)
EMOJI = st.sampled_from(["🎉", "🚀", "👍🏽", "🇯🇵", "❤️", "∑", "→"])
MIXED = st.text(alphabet=CASE_FOLDS + "xyzXYZ", min_size=1, max_size=8)
SEPARATOR = st.sampled_from([" ", "  ", "\n", ".", ", ", "::", "->", "()", "\t", "、", "。", "_", "-", "/"])
PIECE = st.one_of(IDENT, PATH, CJK, EMOJI, MIXED, st.from_regex(r"[0-9]{1,6}", fullmatch=True))
SHORT_TEXT = st.lists(st.tuples(PIECE, SEPARATOR), min_size=1, max_size=25).map(
    lambda parts: "".join(p + s for p, s in parts)
)
# Around the first chunk boundaries (chunks_of(): stride 6,144 bytes, overlap 2,048) and far past
# them, in characters of one byte or three.
LONG_AT = st.sampled_from([6_100, 6_140, 6_150, 8_180, 8_200, 12_300, 14_400, 30_000])
FILLERS = ["lorem ipsum dolor ", "東京の天気は晴れ。データ "]  # ASCII, and 3-byte characters


@st.composite
def texts(draw) -> tuple[list[str], list[str]]:
    """Texts to store, and where queries are cut from (for a long text: around what was inserted)."""
    out = draw(st.lists(SHORT_TEXT, min_size=1, max_size=6))
    sources = list(out)
    for _ in range(draw(st.integers(0, 1))):
        at, filler = draw(LONG_AT), draw(st.sampled_from(FILLERS))
        inner = draw(SHORT_TEXT)
        head = (filler * (at // len(filler) + 1))[:at]
        out.append(head + inner + filler * 40)
        sources.append(head[-40:] + inner + filler[:20])
    return out, sources


@st.composite
def needles(draw, sources: list[str]) -> str:
    text = draw(st.sampled_from(sources))
    start = draw(st.integers(0, max(0, len(text) - 1)))
    return text[start : start + draw(st.integers(1, 30))]


def _session(session_id: str, project: str, corpus: list[str]) -> dict:
    """Messages alternate user/assistant; every assistant message also has a tool output."""
    messages = []
    for i, text in enumerate(itertools.chain.from_iterable((t, t[::-1]) for t in corpus)):
        msg = {
            "ordinal": i,
            "role": "user" if i % 2 == 0 else "assistant",
            "content": text,
            "timestamp": f"2026-11-01T10:{i // 60:02d}:{i % 60:02d}Z",
            "chain_hash": hexhash(session_id, i),
        }
        if i % 2:
            msg["tool_calls"] = [{"call_index": 0, "tool_name": "Bash", "result_content": text.upper()}]
            msg["has_tool_use"] = True
        messages.append(msg)
    return {
        "session_id": session_id,
        "agent": "claude",
        "project": project,
        "started_at": "2026-11-01T10:00:00Z",
        "fingerprint": hexhash(session_id, len(messages)),
        "messages": messages,
    }


def _answer(apps, project: str, q: str, mode: str, sort: str) -> tuple[int, object]:
    r = apps.view("/api/v1/search", q=q, mode=mode, sort=sort, project=project, limit=500)
    body = r.json()
    if r.status_code != 200:
        return r.status_code, body.get("error")
    return 200, [
        (h["ordinal"], h["source"], h["rank"], h["snippet"], h["timestamp"]) for h in body["rows"]
    ] + [body["truncated"], body["next"] is None]


def _ilike(apps, project: str, needle: str) -> set[tuple[int, str]]:
    """The definition of substring mode, straight from PostgreSQL over the stored texts."""
    with apps.db.admin() as conn:
        rows = conn.execute(
            "SELECT m.ordinal, 'message' FROM av.messages m JOIN av.sessions s ON s.id = m.session_pk "
            "WHERE s.project = %(p)s AND m.content ILIKE %(pat)s "
            "UNION SELECT t.message_ordinal, 'tool_output' FROM av.tool_calls t "
            "JOIN av.sessions s ON s.id = t.session_pk WHERE s.project = %(p)s AND t.result_content ILIKE %(pat)s",
            {"p": project, "pat": like_pattern(needle)},
        ).fetchall()
    return {(o, src) for o, src in rows}


def _index(apps) -> None:
    with psycopg.connect(apps.db.ingest_dsn, autocommit=True, options="-c search_path=av") as conn:
        while conn.execute("SELECT refresh_search(100)").fetchone()[0]:
            pass


def test_answers_are_the_same_before_and_after_indexing_and_substrings_are_exact(apps) -> None:
    @settings(
        max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
    )
    @given(data=st.data())
    def check(data) -> None:
        corpus, sources = data.draw(texts())
        queries = [data.draw(needles(sources)) for _ in range(3)]
        project = "p" + uuid.uuid4().hex[:12]  # one session per example, kept apart by the filter
        assert apps.push(_session("s" + project, project, corpus)).json()["results"][0]["status"] == "applied"
        cases = [
            (q, mode, sort) for q in queries for mode in ("substring", "words") for sort in ("rank", "recent")
        ]
        before = [_answer(apps, project, *case) for case in cases]
        _index(apps)
        after = [_answer(apps, project, *case) for case in cases]
        for case, b, a in zip(cases, before, after, strict=True):
            assert b == a, case
        for (q, mode, _sort), (status, answer) in zip(cases, after, strict=True):
            if mode == "substring" and status == 200:
                assert isinstance(answer, list)
                assert {(h[0], h[1]) for h in answer[:-2]} == _ilike(apps, project, q.strip()), q

    check()
