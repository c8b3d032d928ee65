"""Kilo (OpenCode store), Kilo legacy and Roo Code (Cline task folders) against ../shared/corpus.

Counts read from the files: for task folders, the first row (the task) and user
feedback as user messages, consecutive assistant rows as one message, tool asks
(``tool``, ``command``, ``use_mcp_server``) and the rows answering them,
consecutive errors and condensations as one system message each; Roo Code's
usage is history_item's task totals, Kilo legacy's the api_req_started rows (a
task without an assistant message gets a system message carrying its usage).
"""

from __future__ import annotations

import shutil

import pytest

from client.sources.kilo import SOURCE as KILO
from client.sources.kilo_legacy import SOURCE as LEGACY
from client.sources.roocode import SOURCE as ROO
from tests.conformance.corpus import CORPUS, Counts, build_databases, corpus_marks, summary, well_formed

pytestmark = corpus_marks("roocode") + corpus_marks("kilo-legacy")[1:] + corpus_marks("kilo")[1:]
C = Counts
ROO_EXPECTED = {
    "test-task-123": C("roocode:test-task-123", 2, 1, 1, 0, 0, 100, 200),
    "test-task-456": C("roocode:test-task-456", 2, 1, 0, 0, 0, 50, 100),
    "test-task-789": C("roocode:test-task-789", 2, 1, 0, 0, 1, 30, 80),
    "test-task-child": C("roocode:test-task-child", 2, 1, 0, 0, 0, 50, 30),
    "test-task-cmdpair": C("roocode:test-task-cmdpair", 2, 1, 1, 1, 0, 10, 5),
    "test-task-errors": C("roocode:test-task-errors", 3, 1, 0, 0, 0, 10, 5),
    "test-task-feedback": C("roocode:test-task-feedback", 4, 2, 0, 0, 0),
    "test-task-images": C("roocode:test-task-images", 3, 2, 0, 0, 0),
    "test-task-mcp": C("roocode:test-task-mcp", 2, 1, 1, 0, 0, 20, 10),
    "test-task-model": C("roocode:test-task-model", 2, 1, 0, 0, 0, 100, 200, 50, 30),
    "test-task-peakctx": C("roocode:test-task-peakctx", 2, 1, 0, 0, 0, 3130608, 13958),
    "test-task-reasoning-say": C("roocode:test-task-reasoning-say", 2, 1, 0, 0, 1, 30, 80),
}
LEGACY_EXPECTED = {
    "api-recording": C("kilo-legacy:api-recording", 2, 1, 0, 0, 0, 1000 + 2500, 50 + 120, 200 + 400),
    "basic": C("kilo-legacy:basic", 2, 1, 1, 0, 0),
    "command-output": C("kilo-legacy:command-output", 2, 1, 2, 2, 0),
    "compact": C("kilo-legacy:compact", 3, 1, 0, 0, 0),
    "mcp": C("kilo-legacy:mcp", 2, 1, 1, 1, 0),
    "reasoning": C("kilo-legacy:reasoning", 2, 1, 0, 0, 1),
    "workspace-dir": C("kilo-legacy:workspace-dir", 2, 1, 0, 0, 0, 100, 50),
}


@pytest.fixture(scope="module")
def roo():
    return {p.parent.name: ROO.parse(p) for p in ROO.discover(CORPUS / "roocode")}


@pytest.fixture(scope="module")
def legacy():
    return {p.parent.name: LEGACY.parse(p) for p in LEGACY.discover(CORPUS / "kilo-legacy")}


def test_every_task(roo, legacy):
    assert sorted(roo) == sorted(ROO_EXPECTED) and sorted(legacy) == sorted(LEGACY_EXPECTED)


@pytest.mark.parametrize("name", sorted(ROO_EXPECTED))
def test_roocode_counts(roo, name):
    (s,), problems = roo[name]
    assert problems == []
    well_formed(s)
    assert summary(s) == ROO_EXPECTED[name]


@pytest.mark.parametrize("name", sorted(LEGACY_EXPECTED))
def test_kilo_legacy_counts(legacy, name):
    (s,), problems = legacy[name]
    assert problems == []
    well_formed(s)
    assert summary(s) == LEGACY_EXPECTED[name]


def test_task_details(roo, legacy):
    child = roo["test-task-child"][0][0]
    assert (child.parent_session_id, child.relationship) == ("roocode:parent-task-uuid-1234", "subagent")
    model = roo["test-task-model"][0][0]
    assert model.messages[1].model == "claude-sonnet-4" and model.cwd == "/Users/test/project"
    cmd = roo["test-task-cmdpair"][0][0].messages[1].tool_calls[0]
    assert (cmd.tool_name, cmd.category, cmd.result_content) == (
        "execute_command",
        "bash",
        "All tests passed.",
    )
    fails = legacy["command-output"][0][0].messages[1].tool_calls
    assert [c.result_is_error for c in fails] == [False, True]
    mcp = legacy["mcp"][0][0].messages[1].tool_calls[0]
    assert (mcp.tool_name, mcp.category, mcp.result_content) == ("brave__search", "mcp", "search results")
    assert legacy["workspace-dir"][0][0].cwd == "/Users/dev/code/widgets"
    assert roo["test-task-456"][0][0].messages[1].content == "Complete message."  # partial row skipped


def test_kilo_storage_wins_over_its_database(tmp_path):
    shutil.copytree(CORPUS / "kilo", tmp_path / "kilo")
    build_databases(tmp_path / "kilo")
    sessions, problems = KILO.collect(tmp_path / "kilo" / "hybrid")
    assert problems == []
    (s,) = sessions
    assert summary(s) == C("kilo:kilo-hybrid-preserve", 1, 0, 0, 0, 0)
    assert s.messages[0].content == "canonical kilo storage reply" and s.display_name == "Kilo Preserve"
