"""Copilot CLI parser against ../shared/corpus/copilot (agentsview's samples, format truth).

Counts established by reading each events file: user messages that are not skill
injections, non-empty assistant messages (a shutdown whose model has no message
in its segment becomes one system message carrying the usage), ``toolRequests``,
``tool.execution_complete`` results, ``reasoningText`` / ``assistant.reasoning``,
and shutdown usage (input = inputTokens - cacheRead - cacheWrite), else the
assistant messages' ``outputTokens``.
"""

from __future__ import annotations

import pytest

from client.sources.copilot import SOURCE
from tests.conformance.corpus import CORPUS, Counts, corpus_marks, summary, well_formed

ROOT = CORPUS / "copilot"
pytestmark = corpus_marks("copilot")

C = Counts
EXPECTED = {
    "abc-123/events.jsonl": C("copilot:abc-123", 2, 1, 0, 0, 0),
    "copilot-provider/events.jsonl": C("copilot:copilot-provider", 2, 1, 0, 0, 0, 60, 20, 30, 10),
    "def-789/events.jsonl": C("copilot:def-789", 2, 1, 0, 0, 0),
    "multi-model/events.jsonl": C("copilot:multi-model", 3, 1, 0, 0, 0, 30 + 60, 50 + 80, 60 + 120, 10 + 20),
    "multi-shut/events.jsonl": C("copilot:multi-shut", 4, 2, 0, 0, 0, 30 + 30, 50 + 80, 60 + 250, 10 + 20),
    "multi-shut-zero/events.jsonl": C("copilot:multi-shut-zero", 3, 1, 0, 0, 0, 100 + 200, 50 + 80),
    "obj-args.jsonl": C("copilot:obj-args", 3, 1, 1, 0, 0),
    "reason-event/events.jsonl": C("copilot:reason-event", 2, 1, 0, 0, 1),
    "reason-only/events.jsonl": C("copilot:reason-only", 2, 1, 0, 0, 1),
    "reason-test/events.jsonl": C("copilot:reason-test", 2, 1, 0, 0, 1),
    "reset-test/events.jsonl": C("copilot:reset-test", 4, 2, 0, 0, 0),
    "shut-test/events.jsonl": C(
        "copilot:shut-test", 2, 1, 0, 0, 0, 931647 - 873267 - 51438, 7150, 873267, 51438
    ),
    "skill-filter-1.jsonl": C("copilot:skill-filter", 2, 1, 0, 0, 0),
    "skill-filter-2.jsonl": C("copilot:skill-filter", 2, 1, 0, 0, 0),
    "skill-filter-3.jsonl": C("copilot:skill-filter", 2, 1, 0, 0, 0),
    "switch-test/events.jsonl": C("copilot:switch-test", 4, 2, 0, 0, 0),
    "tok-test/events.jsonl": C("copilot:tok-test", 4, 2, 0, 0, 0, 0, 120 + 85),
    "tool-test.jsonl": C("copilot:tool-test", 3, 1, 1, 1, 0),
    "umc-test.jsonl": C("copilot:umc-test", 5, 2, 1, 1, 0),
    "ws-name/events.jsonl": C("copilot:ws-name", 2, 1, 0, 0, 0),
    "ws-no-name/events.jsonl": C("copilot:ws-no-name", 2, 1, 0, 0, 0),
    "zero-use/events.jsonl": C("copilot:zero-use", 2, 1, 0, 0, 0),
}
STATE = ROOT / "session-state"


@pytest.fixture(scope="module")
def parsed():
    return {str(p.relative_to(STATE)): SOURCE.parse(p) for p in SOURCE.discover(ROOT)}


def test_discovery_prefers_the_folder_layout(parsed):
    # copilot-provider exists as a folder and as a flat file: the folder wins; "empty" has no message.
    assert sorted(parsed) == sorted([*EXPECTED, "empty/events.jsonl"])
    assert parsed["empty/events.jsonl"] == ([], [])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_and_tokens(parsed, name):
    sessions, problems = parsed[name]
    assert problems == []
    (s,) = sessions
    well_formed(s)
    assert summary(s) == EXPECTED[name]


def test_models_follow_model_changes(parsed):
    def models(name):
        return [m.model for m in parsed[name][0][0].messages if m.role == "assistant"]

    assert models("switch-test/events.jsonl") == ["claude-sonnet-4-6", "claude-haiku-4-5"]
    assert models("reset-test/events.jsonl") == ["claude-sonnet-4-6", None]


def test_project_title_and_results(parsed):
    (abc,), _ = parsed["abc-123/events.jsonl"]
    assert (abc.cwd, abc.git_branch, abc.project) == ("/home/alice/code/myproject", "main", "myproject")
    assert parsed["ws-name/events.jsonl"][0][0].display_name == "Fix Login Authentication Bug"
    assert parsed["ws-no-name/events.jsonl"][0][0].display_name is None
    (tool,), _ = parsed["tool-test.jsonl"]
    call = tool.messages[1].tool_calls[0]
    assert (call.tool_name, call.category, call.input_json, call.result_content) == (
        "view",
        "read",
        '{"path":"config.json"}',
        '{"key":"value"}',
    )
    assert tool.messages[1].content == "[Read: config.json]"
    (obj,), _ = parsed["obj-args.jsonl"]
    assert obj.messages[1].tool_calls[0].input_json == '{"pattern":"*.go"}'
    (skill,), _ = parsed["skill-filter-1.jsonl"]
    assert skill.first_message == "Fix the parser"
