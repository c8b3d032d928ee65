"""Amp reader against ../shared/corpus/amp (agentsview's samples, format truth).

Counts read from each thread document: user messages with text, assistant
messages (with text, tool_use or usage), tool_use blocks, tool_result blocks
pairing them, and the usage fields (gpt-* cache creation counted as input).
"""

from __future__ import annotations

import orjson
import pytest

from client.sources.amp import SOURCE, amp_result
from tests.conformance.corpus import CORPUS, Counts, corpus_marks, summary, well_formed

ROOT = CORPUS / "amp"
pytestmark = corpus_marks("amp")

C = Counts
T1 = "amp:T-019ca26f-1111-2222-3333-444444444444"
EXPECTED = {
    "threads/T-019ca26f-5555-6666-7777-888888888888.json": C(
        "amp:T-019ca26f-5555-6666-7777-888888888888", 4, 2, 0, 0, 0, 5000 + 10, 100 + 200, 8000, 40
    ),
    "threads/T-019ca26f-aaaa-bbbb-cccc-dddddddddddd.json": C(
        "amp:T-019ca26f-aaaa-bbbb-cccc-dddddddddddd", 2, 1, 0, 0, 0
    ),
    "threads/T-amp-tool-result-dict.json": C("amp:T-amp-tool-result-dict", 1, 0, 1, 1, 0),
    "threads/T-amp-tool-result-schema.json": C("amp:T-amp-tool-result-schema", 1, 0, 1, 1, 0),
    "threads/T-fallback-uuid.json": C("amp:T-fallback-uuid", 1, 1, 0, 0, 0),
    "threads/T-from-file.json": C("amp:T-from-file", 1, 1, 0, 0, 0),
    "threads/T-noenv.json": C("amp:T-noenv", 1, 1, 0, 0, 0),
    "threads/T-notitle.json": C("amp:T-notitle", 2, 1, 0, 0, 0),
    "threads/T-notraces.json": C("amp:T-notraces", 1, 1, 0, 0, 0),
    "threads/T-trace-end-missing.json": C("amp:T-trace-end-missing", 1, 1, 0, 0, 0),
    "threads/T-usage-only-response.json": C("amp:T-usage-only-response", 2, 1, 0, 0, 0, 25, 0, 75, 0),
    "usage-anthropic-family/threads/T-019ca26f-1111-2222-3333-444444444444.json": C(
        T1, 2, 1, 0, 0, 0, 7, 87, 15863, 180
    ),
    "usage-no-model/threads/T-019ca26f-1111-2222-3333-444444444444.json": C(
        T1, 2, 1, 0, 0, 0, 9, 156, 0, 13258
    ),
    "usage-openai-family/threads/T-019ca26f-1111-2222-3333-444444444444.json": C(
        T1, 2, 1, 0, 0, 0, 18621, 15, 0, 0
    ),
    "usage-timestamps/threads/T-019ca26f-1111-2222-3333-444444444444.json": C(
        T1, 4, 2, 0, 0, 0, 110, 35, 50, 0
    ),
}


@pytest.fixture(scope="module")
def parsed():
    out = {}
    for threads in sorted(ROOT.glob("**/threads")):
        for p in SOURCE.discover(threads):
            out[str(p.relative_to(ROOT))] = SOURCE.parse(p)
    return out


def test_every_thread_file(parsed):
    assert sorted(parsed) == sorted([*EXPECTED, "threads/T-empty.json"])
    assert parsed["threads/T-empty.json"] == ([], [])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_and_tokens(parsed, name):
    (s,), problems = parsed[name]
    assert problems == []
    well_formed(s)
    assert summary(s) == EXPECTED[name]


def test_project_title_times(parsed):
    (s,), _ = parsed["threads/T-019ca26f-aaaa-bbbb-cccc-dddddddddddd.json"]
    assert (s.project, s.cwd, s.display_name) == (
        "myproject",
        "/home/user/myproject",
        "Migrate database schema",
    )
    assert (s.started_at, s.ended_at) == ("2024-01-01T00:00:00.000Z", "2024-01-01T00:00:05.000Z")
    (late,), _ = parsed["usage-timestamps/threads/T-019ca26f-1111-2222-3333-444444444444.json"]
    assert late.ended_at == "2026-08-09T04:10:00.000Z"
    assert [m.timestamp for m in late.messages if m.role == "assistant"] == [
        "2026-08-07T19:25:30.151Z",
        "2026-08-09T04:10:00.000Z",
    ]
    (bash,), _ = parsed["threads/T-amp-tool-result-dict.json"]
    call = bash.messages[0].tool_calls[0]
    assert (call.result_content, call.result_is_error, call.category) == ("cmd output", False, "bash")


def test_tool_result_shapes():
    got = {}
    for line in (ROOT / "fragments" / "tool-result-content-arrays.jsonl").read_bytes().splitlines():
        case = orjson.loads(line)
        got[case["case"]] = [amp_result(b) for b in case["content"] if b.get("type") == "tool_result"]
    assert got["amp string result"] == [("text", False)]
    assert got["amp number result"] == [("0", False)]
    assert got["amp bool result"] == [("false", False)]
    assert got["amp dict result"] == [("ok", False)]
    assert got["amp error result"] == [("fail", True)]
    assert got["amp unknown error"] == [("error", True)]
    assert got["amp cancelled"] == [("cancelled", True)]
    assert got["amp null result done"] == [(None, False)]
    assert got["amp list of objects result"] == [('[{"file":"foo.go","line":42}]', False)]
    assert got["canonical tool_use_id skipped"] == [("x", False)]
