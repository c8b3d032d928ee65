"""Zed reader against ../shared/corpus/zed (format truth); each case folder is a Zed data folder
whose ``threads/build.sql`` is built into ``threads.db``."""

from __future__ import annotations

import shutil

import pytest

from client.sources.zed import SOURCE
from tests.conformance.corpus import CORPUS, Counts, build_databases, corpus_marks, summary, well_formed

ROOT = CORPUS / "zed"
pytestmark = corpus_marks("zed")
C = Counts
A, B = "10431c84-c47b-4e6c-b2df-f9f3b9ad025b", "20431c84-c47b-4e6c-b2df-f9f3b9ad025b"
EXPECTED = {
    "two-threads": [C(f"zed:{A}", 1, 1, 0, 0, 0), C(f"zed:{B}", 1, 1, 0, 0, 0)],
    "legacy-five-column": [C("zed:legacy", 1, 1, 0, 0, 0)],
    "unsupported-data-type": [],
    "zstd-parent-child": [C("zed:child", 1, 1, 0, 0, 0), C("zed:parent", 1, 1, 0, 0, 0)],
}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    root = tmp_path_factory.mktemp("zed")
    shutil.copytree(ROOT, root, dirs_exist_ok=True)
    build_databases(root)
    return {case: SOURCE.collect(root / case) for case in EXPECTED}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_counts(parsed, case):
    sessions, problems = parsed[case]
    for s in sessions:
        well_formed(s)
    assert [summary(s) for s in sessions] == EXPECTED[case]
    assert [p.reason for p in problems] == (
        ["thread bad: unsupported data_type 'brotli'"] if case == "unsupported-data-type" else []
    )


def test_zstd_thread_and_its_child(parsed):
    child, parent = parsed["zstd-parent-child"][0]
    assert parent.messages[0].content == "Hello"  # decompressed from the zstd payload
    assert (child.parent_session_id, child.relationship) == ("zed:parent", "subagent")
    first = parsed["two-threads"][0][0]
    assert (first.display_name, first.started_at, first.ended_at) == (
        "First thread",
        "2026-06-08T09:12:41.000Z",
        "2026-06-08T09:14:10.000Z",
    )
