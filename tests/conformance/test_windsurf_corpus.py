"""Windsurf reader against ../shared/corpus/windsurf (format truth); each case is a Windsurf
``User`` folder whose ``workspaceStorage/<hash>/build.sql`` is built into ``state.vscdb``."""

from __future__ import annotations

import shutil

import pytest

from client.sources.windsurf import SOURCE
from tests.conformance.corpus import CORPUS, Counts, build_databases, corpus_marks, summary, well_formed

ROOT = CORPUS / "windsurf"
pytestmark = corpus_marks("windsurf")
C = Counts
EXPECTED = {
    "tabs": [C("windsurf:tab-session", 2, 1, 0, 0, 0)],
    "numeric-tabs": [C("windsurf:numeric-tab-session", 2, 1, 0, 0, 0)],
    "extra-keys": [C("windsurf:sanitized-export", 2, 1, 0, 0, 0)],
    "fallback-id": [C("windsurf:workspace-a", 2, 1, 0, 0, 0), C("windsurf:workspace-b", 2, 1, 0, 0, 0)],
    "malformed": [],
}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    root = tmp_path_factory.mktemp("windsurf")
    shutil.copytree(ROOT, root, dirs_exist_ok=True)
    build_databases(root)
    return {case: SOURCE.collect(root / case) for case in EXPECTED}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_counts(parsed, case):
    sessions, problems = parsed[case]
    for s in sessions:
        well_formed(s)
    assert [summary(s) for s in sessions] == EXPECTED[case]
    bad = ["workbench.panel.aichat.view.aichat.chatdata: the chat data is not JSON"]
    assert [p.reason for p in problems] == (bad if case == "malformed" else [])


def test_only_chat_keys_are_read_and_projects(parsed):
    (s,), _ = parsed["extra-keys"]
    assert "TOP-SECRET" not in repr(s)  # another extension's key in the same database is never read
    assert (s.cwd, s.project) == ("/work/demo-workspace", "demo-workspace")
    (tab,), _ = parsed["tabs"]
    assert (tab.display_name, [m.role for m in tab.messages]) == ("Tab title", ["user", "assistant"])
    assert tab.started_at is not None  # the database's modification time
