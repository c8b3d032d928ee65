"""The parsed form of a session, shared by every source parser and the pusher.

Parsers produce these; ``client.wire`` turns them into protocol JSON and
``client.fingerprint`` hashes that JSON. Field names match the protocol
(``docs/protocol.md``) so the mapping stays obvious.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant", "system"]
Relationship = Literal["", "subagent", "fork", "continuation"]


@dataclass
class Usage:
    """Token usage of one model response, counted once per agent message id."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0

    @property
    def context_tokens(self) -> int:
        return self.input_tokens + self.cache_creation_tokens + self.cache_read_tokens


@dataclass
class ToolCall:
    call_index: int
    tool_name: str
    tool_use_id: str = ""
    category: str = "other"
    input_json: str | None = None
    skill_name: str | None = None
    result_content: str | None = None
    result_is_error: bool = False
    subagent_session_id: str | None = None


@dataclass
class Message:
    ordinal: int
    role: Role
    content: str
    timestamp: str | None = None  # ISO 8601 as the agent wrote it
    blocks: list[dict[str, Any]] | None = None
    model: str | None = None
    message_key: str | None = None
    has_thinking: bool = False
    has_tool_use: bool = False
    is_system: bool = False
    usage: Usage | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)


@dataclass
class Session:
    session_id: str
    agent: str
    project: str = ""
    cwd: str | None = None
    git_branch: str | None = None
    source_path: str | None = None
    first_message: str | None = None
    display_name: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    parent_session_id: str | None = None
    relationship: Relationship = ""
    parent_tool_use_id: str | None = None
    messages: list[Message] = field(default_factory=list)


@dataclass
class ParseProblem:
    """A malformed line or file: reported, skipped, never fatal.

    ``transient``: the file could not be read *now* (a database busy past our
    wait); its parse is not cached, so the next push reads it again.
    """

    path: str
    line: int | None
    reason: str
    transient: bool = False
