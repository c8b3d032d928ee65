"""OpenHands reader against ../shared/corpus/openhands: one conversation, one user MessageEvent."""

from __future__ import annotations

from client.sources.openhands import SOURCE
from tests.conformance.corpus import CORPUS, Counts, corpus_marks, summary, well_formed

pytestmark = corpus_marks("openhands")


def test_the_sample_conversation():
    (folder,) = SOURCE.discover(CORPUS / "openhands" / "conversations")
    (s,), problems = SOURCE.parse(folder)
    assert problems == []
    well_formed(s)
    assert summary(s) == Counts("openhands:086c7ecf-6cb7-46b6-9fbc-b900358d1247", 1, 1, 0, 0, 0)
    assert s.messages[0].content == "parse question" and s.started_at == "2026-04-02T15:25:40.706Z"
