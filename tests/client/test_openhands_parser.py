"""OpenHands reader on a conversation folder written here."""

from __future__ import annotations

from pathlib import Path

import orjson

from client.sources.openhands import SOURCE


def test_actions_observations_thinking_and_a_broken_event(tmp_path: Path) -> None:
    conv = tmp_path / "0123456789abcdef0123456789abcdef"
    (conv / "events").mkdir(parents=True)
    (conv / "base_state.json").write_bytes(
        orjson.dumps({"agent": {"llm": {"model": "litellm_proxy/claude"}}})
    )
    events = [
        {
            "timestamp": "2026-04-02T15:25:40.1",
            "source": "user",
            "kind": "MessageEvent",
            "llm_message": {"role": "user", "content": [{"type": "text", "text": "run the tests"}]},
        },
        {
            "timestamp": "2026-04-02T15:25:41",
            "source": "agent",
            "kind": "ActionEvent",
            "tool_name": "terminal",
            "tool_call_id": "c1",
            "tool_call": {"id": "c1", "name": "terminal", "arguments": '{"command": "pytest"}'},
            "thought": [{"type": "text", "text": "running them"}],
            "thinking_blocks": [{"type": "thinking", "thinking": "hm"}],
        },
        {
            "timestamp": "2026-04-02T15:25:42",
            "source": "environment",
            "kind": "ObservationEvent",
            "tool_call_id": "c1",
            "observation": {
                "content": [{"type": "text", "text": "1 failed"}],
                "is_error": False,
                "metadata": {"working_dir": "/w/app"},
            },
        },
        {
            "timestamp": "2026-04-02T15:25:43",
            "source": "agent",
            "kind": "MessageEvent",
            "llm_message": {"role": "assistant", "content": [{"type": "text", "text": "one fails"}]},
        },
    ]
    for i, e in enumerate(events):
        (conv / "events" / f"event-{i:05d}-x.json").write_bytes(orjson.dumps(e))
    (conv / "events" / "event-00009-x.json").write_bytes(b'{"kind": ')
    assert SOURCE.discover(tmp_path) == [conv]
    (s,), problems = SOURCE.parse(conv)
    assert s.session_id == "openhands:01234567-89ab-cdef-0123-456789abcdef"
    assert [m.content for m in s.messages] == [
        "run the tests",
        "[Thinking]\nhm\n[/Thinking]\nrunning them\n[Bash]\n$ pytest\none fails",
    ]
    call = s.messages[1].tool_calls[0]
    assert (call.result_content, s.cwd, s.messages[1].model) == ("1 failed", "/w/app", "litellm_proxy/claude")
    assert [p.reason for p in problems] == ["malformed event file"]
    assert SOURCE.depends(conv, [s]) == [conv / "events", conv / "base_state.json"]
