"""Agent log sources: each finds an agent's session files on this machine and parses
them into :mod:`client.model` objects (``claude`` for Claude Code JSONL)."""
