"""Goose reader against ../shared/corpus/goose (format truth); each case is a data folder whose
``sessions/build.sql`` is built into ``sessions.db``.

Counts read from the inserts: visible user/assistant rows with text or tool
requests (a user row holding only a pending tool response is no prompt), and the
usage ledger rows (else the accumulated totals, set by the case's UPDATE).
"""

from __future__ import annotations

import shutil

import pytest

from client.sources.goose import SOURCE
from tests.conformance.corpus import CORPUS, Counts, build_databases, corpus_marks, summary, well_formed

ROOT = CORPUS / "goose"
pytestmark = corpus_marks("goose")
C = Counts
EXPECTED = {
    "bare-schema": [C("goose:bare", 1, 1, 0, 0, 0)],
    "v15-accumulated-only": [C("goose:legacy", 1, 0, 0, 0, 0, 90, 10, 8, 2)],
    "v15-ledger-no-model": [C("goose:session", 2, 1, 0, 0, 0, 50, 5)],
    "v15-pending-tool": [C("goose:session", 1, 1, 0, 0, 0)],
}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    root = tmp_path_factory.mktemp("goose")
    shutil.copytree(ROOT, root, dirs_exist_ok=True)
    build_databases(root)
    return {case: SOURCE.collect(root / case) for case in EXPECTED}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_counts_and_tokens(parsed, case):
    sessions, problems = parsed[case]
    assert problems == []
    for s in sessions:
        well_formed(s)
    assert [summary(s) for s in sessions] == EXPECTED[case]


def test_models_titles_cwd(parsed):
    (carried,), _ = parsed["v15-ledger-no-model"]
    assert carried.display_name == "Carried" and carried.cwd == "/work/acme-app"
    (reply,) = [m for m in carried.messages if m.usage]
    assert reply.model == "claude-sonnet-4-6"  # the ledger row has no model: the session's
    (legacy,), _ = parsed["v15-accumulated-only"]
    assert legacy.messages[0].is_system  # no assistant message: a system message carries the totals
