"""iFlow reader against ../shared/corpus/iflow: the one real session in agentsview's tests.

Read from the file: one user prompt; 9 assistant lines in 4 streamed bursts (same
parentUuid, under a second apart), 12 tool_use blocks of which 6 distinct ids, 6
tool results; model glm-4.7; usage all zero (none kept).
"""

from __future__ import annotations

import json

import pytest

from client.sources.iflow import SOURCE
from tests.conformance.corpus import CORPUS, Counts, corpus_marks, summary, well_formed

ROOT = CORPUS / "iflow" / "projects"
pytestmark = corpus_marks("iflow")
SID = "5de701fc-7454-4858-a249-95cac4fd3b51"


def test_the_real_session():
    (path,) = SOURCE.discover(ROOT)
    (s,), problems = SOURCE.parse(path)
    assert problems == []
    well_formed(s)
    assert summary(s) == Counts(f"iflow:{SID}", 5, 1, 6, 6, 0)
    assert (s.cwd, s.project, s.git_branch, s.parent_session_id) == (
        "C:\\exp\\docker-image-retagger",
        "docker-image-retagger",
        None,
        None,
    )
    assert {m.model for m in s.messages if m.role == "assistant"} == {"glm-4.7"}
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    ids = {
        b["id"]
        for x in lines
        if x["type"] == "assistant"
        for b in x["message"]["content"]
        if b["type"] == "tool_use"
    }
    assert {c.tool_use_id for m in s.messages for c in m.tool_calls} == ids
    results = {c.tool_use_id: c.result_content for m in s.messages for c in m.tool_calls}
    readme = next(c for m in s.messages for c in m.tool_calls if c.input_json and "README.md" in c.input_json)
    assert results[readme.tool_use_id].startswith("# Tauri + Yew")
    assert (s.started_at, s.ended_at) == ("2026-01-21T05:56:34.812Z", "2026-01-21T05:57:03.810Z")


@pytest.mark.parametrize("field", ["first_message"])
def test_first_message_is_the_prompt(field):
    (s,), _ = SOURCE.parse(SOURCE.discover(ROOT)[0])
    assert getattr(s, field).startswith("启动app时确保环境变量")
