"""VS Code Copilot Chat reader against ../shared/corpus/vscode-copilot (format truth).

Counts read from each snapshot or operation log (replayed by hand): one user and
one assistant message per request with text, ``toolInvocationSerialized`` items,
and ``result.metadata`` prompt/output tokens.
"""

from __future__ import annotations

import orjson
import pytest

from client.sources.vscode_copilot import SOURCE, replay
from tests.conformance.corpus import CORPUS, Counts, corpus_marks, summary, well_formed

ROOT = CORPUS / "vscode-copilot"
pytestmark = corpus_marks("vscode-copilot")


def c(sid, msgs=2, user=1, calls=0, inp=0, out=0):
    return Counts(f"vscode-copilot:{sid}", msgs, user, calls, 0, 0, inp, out)


WS, H1 = "workspaceStorage/abc123def456/chatSessions", "workspaceStorage/hash1/chatSessions"
EXPECTED = {
    f"{WS}/dup1.jsonl": c("dup1"),
    f"{WS}/only-json.json": c("dup1"),
    f"{WS}/only-jsonl.jsonl": c("dup1"),
    f"{WS}/sess1.json": c("sess1"),
    f"{H1}/jsonl-001.jsonl": c("jsonl-001"),
    f"{H1}/jsonl-multi.jsonl": c("jsonl-multi", 4, 2),
    f"{H1}/jsonl-set.jsonl": c("jsonl-set"),
    f"{H1}/jsonl-tools.jsonl": c("jsonl-tools", calls=1),
    f"{H1}/mixed-001.json": c("mixed-001", calls=1),
    f"{H1}/multi-789.json": c("multi-789", 4, 2),
    f"{H1}/no-usage.json": c("no-usage"),
    f"{H1}/notitle-000.json": c("notitle-000", 1, 0),
    f"{H1}/term-001.json": c("term-001", calls=1),
    f"{H1}/test-123.json": c("test-123"),
    f"{H1}/tools-456.json": c("tools-456", calls=1),
    f"{H1}/usage-1.json": c("usage-1", 6, 3, inp=35875 + 41055, out=221 + 69),
    f"{H1}/usage-2.json": c("usage-2", inp=1000, out=50),
    "workspaceStorage/workspace-hash/chatSessions/vscode-provider.jsonl": c("vscode-provider", inp=42, out=7),
    "globalStorage/emptyWindowChatSessions/global-sess.json": c("sess1"),
}
EMPTY = [f"{H1}/abc.json", f"{H1}/jsonl-empty.jsonl"]
REPLAYS = {
    "oplog-delete-property.jsonl": {"a": "keep"},
    "oplog-initial-only.jsonl": {"sessionId": "s1", "version": 3},
    "oplog-push-to-array.jsonl": {"items": ["a", "b", "c"]},
    "oplog-push-with-negative-splice-index-replaces-from-front.jsonl": {"items": ["z"]},
    "oplog-push-with-splice-index-replaces-existing-items.jsonl": {"items": ["a", "b"]},
    "oplog-set-array-element-by-index.jsonl": {"arr": ["x", "Y", "z"]},
    "oplog-set-nested-property.jsonl": {"a": {"b": "new"}},
}


@pytest.fixture(scope="module")
def parsed():
    return {str(p.relative_to(ROOT)): SOURCE.parse(p) for p in SOURCE.discover(ROOT)}


def test_discovery_prefers_the_operation_log(parsed):
    assert sorted(parsed) == sorted([*EXPECTED, *EMPTY])  # dup1.json is shadowed by dup1.jsonl
    assert all(parsed[name] == ([], []) for name in EMPTY)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_and_tokens(parsed, name):
    (s,), problems = parsed[name]
    assert problems == []
    well_formed(s)
    assert summary(s) == EXPECTED[name]


def test_content_models_titles_projects(parsed):
    (tools,), _ = parsed[f"{H1}/tools-456.json"]
    assert tools.messages[1].content == "Reading the file...\n[Tool: copilot_readFile]\nDone reading."
    assert tools.messages[1].tool_calls[0].category == "read"
    (term,), _ = parsed[f"{H1}/term-001.json"]
    assert term.messages[1].content == "[Bash]\n$ npm test"
    (setop,), _ = parsed[f"{H1}/jsonl-set.jsonl"]
    assert setop.messages[1].content == "Complete answer"
    (usage,), _ = parsed[f"{H1}/usage-1.json"]
    assert {m.model for m in usage.messages if m.role == "assistant"} == {"claude-opus-4-8"}
    assert parsed[f"{H1}/notitle-000.json"][0][0].display_name == "Fallback Title"
    (sess1,), _ = parsed[f"{WS}/sess1.json"]
    assert (sess1.cwd, sess1.project) == ("/Users/dev/projects/myproject", "myproject")
    assert parsed["globalStorage/emptyWindowChatSessions/global-sess.json"][0][0].cwd is None


@pytest.mark.parametrize("name", sorted(REPLAYS))
def test_operation_log_replay(name):
    problems = []
    assert replay((ROOT / "fragments" / name).read_bytes(), name, problems) == REPLAYS[name]
    assert problems == []
    assert orjson.dumps(REPLAYS[name])
