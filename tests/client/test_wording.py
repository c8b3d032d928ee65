"""Counts in the CLI's sentences agree with their nouns."""

from client.wording import counted


def test_one_is_singular_and_everything_else_plural() -> None:
    assert [counted(n, "session") for n in (0, 1, 2)] == ["0 sessions", "1 session", "2 sessions"]
    assert counted(1, "agentsview import") == "1 agentsview import"
    assert counted(3, "repair", "repairs made") == "3 repairs made"
