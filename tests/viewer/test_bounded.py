"""Every session opens anywhere: no answer over 5 MB, and every byte reachable."""

from __future__ import annotations

from typing import Any

from tests.viewer.bounded_sessions import MB, distinct_text, eight_megabyte_outputs, push_gzip, session
from viewer_fn.budget import BLOCK_CHARS, RESPONSE_LIMIT_BYTES

MESSAGES = "/api/v1/sessions/laptop:{sid}/messages"


def _get(apps, url: str, **params: Any):
    r = apps.viewer.get(  # params=None keeps a next_url's own query
        url, params=params or None, headers={"Authorization": f"Bearer {apps.viewer_token}"}
    )
    assert r.status_code == 200, r.text[:300]
    assert len(r.content) < RESPONSE_LIMIT_BYTES, (url, len(r.content))
    return r.json()


def walk(apps, sid: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every message of a session, following next_url; and how many pages it took."""
    rows, page = [], _get(apps, MESSAGES.format(sid=sid), **params)
    pages = 1
    while True:
        rows += page["rows"]
        if not page["next_url"]:
            return rows, pages
        page, pages = _get(apps, page["next_url"]), pages + 1
        assert pages < 1000


def whole(apps, cut: dict[str, Any], shown: str) -> str:
    """The cut text completed through its ranged route, following next_url."""
    text, page = shown, _get(apps, cut["url"])
    while True:
        assert page["offset"] == len(text) and page["total_chars"] == cut["total_chars"]
        text += page["text"]
        if page["next_url"] is None:
            return text
        page = _get(apps, page["next_url"])


def test_megabyte_tool_outputs_are_cut_in_the_page_and_reachable_whole(apps) -> None:
    s = eight_megabyte_outputs()
    push_gzip(apps, s)
    rows, pages = walk(apps, "heavy", limit=200)
    assert pages == 1 and [m["ordinal"] for m in rows] == list(range(16))
    for k in range(8):
        msg, sent = rows[2 * k + 1], s["messages"][2 * k + 1]["tool_calls"][0]
        call = msg["tool_calls"][0]
        assert len(call["result_content"]) == BLOCK_CHARS
        (cut,) = msg["cuts"]
        assert (cut["part"], cut["call_index"], cut["shown_chars"], cut["total_chars"]) == (
            "tool_result",
            0,
            BLOCK_CHARS,
            MB,
        )
        assert whole(apps, cut, call["result_content"]) == sent["result_content"]
    assert rows[0]["cuts"] == []


def test_pages_end_by_bytes_and_every_message_comes_once(apps) -> None:
    # 120 messages of 60,000 characters (just under the cut): 7 MB of text. Control characters
    # are 6 JSON bytes each and CJK 3 UTF-8 bytes, so the bound must count bytes, not characters.
    texts = []
    for i in range(120):
        kind = i % 3
        body = {0: "a" * 60_000, 1: "\x01" * 60_000, 2: "漢" * 60_000}[kind]
        texts.append(f"#{i} " + body[: 60_000 - 10])
    push_gzip(apps, session("many", [{"content": t} for t in texts]))
    rows, pages = walk(apps, "many", limit=1000)
    assert [m["content"] for m in rows] == texts
    assert all(m["cuts"] == [] for m in rows)
    assert pages >= 6  # ~19 MB of JSON (the control characters) in pages of at most 4 MB
    back, _ = walk(apps, "many", limit=1000, direction="desc")
    assert [m["ordinal"] for m in back] == list(reversed(range(120)))


def test_a_message_too_big_alone_is_cut_harder_and_still_whole(apps) -> None:
    calls = [
        {
            "call_index": i,
            "tool_name": "Read",
            "category": "read",
            "tool_use_id": f"r{i}",
            "input_json": f'{{"file_path": "/f{i}"}}',
            "result_content": distinct_text(f"r{i}", 70_000),
        }
        for i in range(100)
    ]
    thinking = distinct_text("think", 150_000)
    blocks = [{"type": "thinking", "text": thinking}, {"type": "text", "text": "done", "a/b~c": "x" * 70_000}]
    msg = {"role": "assistant", "content": "read 100 files", "tool_calls": calls, "blocks": blocks}
    push_gzip(apps, session("wide", [{"content": "go"}, msg, {"content": "after"}]))
    rows, pages = walk(apps, "wide")
    assert [m["ordinal"] for m in rows] == [0, 1, 2] and pages == 2  # the wide one starts a page
    wide = rows[1]
    by_key = {(c["part"], c["call_index"], c["pointer"]): c for c in wide["cuts"]}
    assert len(by_key) == 100 + 2
    for i, call in enumerate(wide["tool_calls"]):
        cut = by_key[("tool_result", i, None)]
        assert cut["shown_chars"] < BLOCK_CHARS  # cut harder than a page's usual cut
        assert whole(apps, cut, call["result_content"]) == calls[i]["result_content"]
    assert whole(apps, by_key[("block", None, "/0/text")], wide["blocks"][0]["text"]) == thinking
    escaped = by_key[("block", None, "/1/a~1b~0c")]
    assert whole(apps, escaped, wide["blocks"][1]["a/b~c"]) == "x" * 70_000


def test_the_text_route_names_what_is_wrong(apps) -> None:
    push_gzip(apps, eight_megabyte_outputs("h2"))
    base = "/api/v1/sessions/laptop:h2/messages/1/text"
    ok = _get(apps, base, part="tool_result", call_index=0, offset=MB - 10, limit=100)
    assert len(ok["text"]) == 10 and ok["next_offset"] is None and ok["next_url"] is None
    assert _get(apps, base, part="content")["text"] == "step 0 ran"
    middle = _get(apps, base, part="tool_result", call_index=0, offset=5, limit=7)
    assert middle["next_offset"] == 12 and "offset=12" in middle["next_url"]
    assert (
        middle["text"] == eight_megabyte_outputs("h2")["messages"][1]["tool_calls"][0]["result_content"][5:12]
    )

    def error(**params: Any) -> tuple[int, str]:
        r = apps.viewer.get(base, params=params, headers={"Authorization": f"Bearer {apps.viewer_token}"})
        return r.status_code, r.json()["error"]

    assert error(part="tool_result")[0] == 400 and error(part="tool_result")[1].startswith("call_index:")
    assert error(part="block")[1].startswith("pointer:")
    assert error(part="block", pointer="0/text")[1].startswith("pointer:")
    assert error(part="lines")[1].startswith("part:")
    assert error(part="tool_result", call_index=7)[0] == 404
    assert error(part="block", pointer="/0/text")[0] == 404  # this message has no blocks
    assert error(part="content", limit=10**7)[1].startswith("limit:")
    r = apps.viewer.get(
        "/api/v1/sessions/laptop:h2/messages/99/text",
        params={"part": "content"},
        headers={"Authorization": f"Bearer {apps.viewer_token}"},
    )
    assert r.status_code == 404


def test_exports_come_in_parts_under_the_limit(apps) -> None:
    texts = [f"#{i} " + distinct_text(f"e{i}", 25_000) for i in range(300)]  # 7.5 MB; cut to 20,000 each
    push_gzip(apps, session("exp", [{"content": t} for t in texts]))
    seen, url, parts = [], "/api/v1/sessions/laptop:exp/export", 0
    while url:
        r = apps.viewer.get(url, headers={"Authorization": f"Bearer {apps.viewer_token}"})
        assert r.status_code == 200 and len(r.content) < RESPONSE_LIMIT_BYTES
        seen += [int(x) for x in __import__("re").findall(r"id='m(\d+)'", r.text)]
        assert "cut: 5," in r.text  # each text says how much was left out
        link = r.headers.get("link")
        url = link[1 : link.index(">")] if link else None
        parts += 1
        if link:
            assert 'rel="next"' in link and "from-" not in url
    assert seen == list(range(300)) and parts >= 2


def test_texts_of_exactly_the_cut_come_whole_and_one_more_character_is_cut(apps) -> None:
    # SQL cuts (left()) only a text longer than the cut in BYTES, and the page cuts by characters:
    # a text of exactly BLOCK_CHARS characters of 3 or 4 bytes each is longer in bytes, yet whole.
    texts = [
        unit * n
        for unit in ("a", "漢", "😀", "a漢😀\x01")
        for n in (BLOCK_CHARS // len(unit), BLOCK_CHARS // len(unit) + 1)
    ]
    messages = [
        {
            "content": text,
            "has_tool_use": True,
            "tool_calls": [
                {
                    "call_index": 0,
                    "tool_name": "Bash",
                    "category": "bash",
                    "tool_use_id": f"t{i}",
                    "input_json": text,
                    "result_content": text,
                }
            ],
        }
        for i, text in enumerate(texts)
    ]
    push_gzip(apps, session("edges", messages))
    rows, _ = walk(apps, "edges", limit=100)
    assert [m["ordinal"] for m in rows] == list(range(len(texts)))
    for msg, text in zip(rows, texts, strict=True):
        shown = text[:BLOCK_CHARS]
        call = msg["tool_calls"][0]
        assert (msg["content"], call["input_json"], call["result_content"]) == (shown, shown, shown)
        cuts = [(c["part"], c["shown_chars"], c["total_chars"]) for c in msg["cuts"]]
        if len(text) > BLOCK_CHARS:
            assert cuts == [(p, BLOCK_CHARS, len(text)) for p in ("content", "tool_input", "tool_result")]
        else:
            assert cuts == []
