"""Fingerprints: no collisions across field boundaries, stable across runs and machines, checkpoints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from client.fingerprint import GENESIS, chain_step, checkpoint_ordinals, checkpoints, seal
from client.model import Message, Session, ToolCall, Usage
from client.wire import session_to_wire

# A fixed session and its fingerprint, computed once and committed: if this changes, every
# client in the field would re-send every session. Change it only with a protocol version.
GOLDEN_FINGERPRINT = "2323cb1e4c183da0034c609b742be502c1d0aaa9e75f85dd0f295ea98a281094"


def golden_session() -> Session:
    return Session(
        "4d5611e5-golden",
        "claude",
        project="spotter",
        cwd="/home/me/spotter",
        git_branch="main",
        first_message="Fix the flaky test ✓",
        started_at="2026-11-20T09:00:00Z",
        ended_at="2026-11-20T09:01:00Z",
        messages=[
            Message(
                0,
                "user",
                "Fix the flaky test ✓",
                timestamp="2026-11-20T09:00:00Z",
                blocks=[{"type": "text", "text": "Fix the flaky test ✓"}],
            ),
            Message(
                1,
                "assistant",
                "[Read: a.py]",
                timestamp="2026-11-20T09:01:00Z",
                model="claude-sonnet-4-5",
                has_tool_use=True,
                usage=Usage(10, 5, 0, 100),
                tool_calls=[
                    ToolCall(
                        0, "Read", "toolu_1", "read", '{"file_path": "a.py"}', result_content="print('hi')\n"
                    )
                ],
            ),
        ],
    )


def test_golden_fingerprint_is_stable() -> None:
    assert session_to_wire(golden_session())["fingerprint"] == GOLDEN_FINGERPRINT


def test_stable_across_processes_and_hash_seeds() -> None:
    code = (
        "from tests.client.test_fingerprint import golden_session;"
        "from client.wire import session_to_wire;print(session_to_wire(golden_session())['fingerprint'])"
    )
    for seed in ("1", "4242"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            cwd=str(Path(__file__).resolve().parents[2]),
        )
        assert out.stdout.strip() == GOLDEN_FINGERPRINT


text = st.text(max_size=12)


@given(a=text, b=text, c=text, d=text)
def test_no_collision_when_text_moves_across_a_field_boundary(a: str, b: str, c: str, d: str) -> None:
    m1 = {"ordinal": 0, "role": "user", "content": a, "model": b}
    m2 = {"ordinal": 0, "role": "user", "content": c, "model": d}
    assert (chain_step(GENESIS, m1) == chain_step(GENESIS, m2)) == ((a, b) == (c, d))


@given(a=text, b=text, c=text, d=text)
def test_no_collision_between_metadata_fields(a: str, b: str, c: str, d: str) -> None:
    s1 = seal({"session_id": "s", "project": a, "cwd": b, "messages": []})
    s2 = seal({"session_id": "s", "project": c, "cwd": d, "messages": []})
    assert (s1["fingerprint"] == s2["fingerprint"]) == ((a, b) == (c, d))


@given(parts=st.lists(text, min_size=1, max_size=4), split=st.integers(min_value=0, max_value=4))
def test_no_collision_when_text_moves_between_messages(parts: list[str], split: int) -> None:
    joined = "".join(parts)
    split = min(split, len(joined))
    one = seal(
        {
            "session_id": "s",
            "messages": [
                {"ordinal": 0, "role": "user", "content": joined[:split]},
                {"ordinal": 1, "role": "user", "content": joined[split:]},
            ],
        }
    )
    other = seal(
        {
            "session_id": "s",
            "messages": [
                {"ordinal": 0, "role": "user", "content": joined},
                {"ordinal": 1, "role": "user", "content": ""},
            ],
        }
    )
    assert (one["fingerprint"] == other["fingerprint"]) == (split == len(joined))


def test_every_part_of_a_session_changes_the_fingerprint() -> None:
    base = session_to_wire(golden_session())["fingerprint"]
    for mutate in (
        lambda s: setattr(s, "git_branch", "dev"),
        lambda s: setattr(s.messages[0], "content", "Fix the flaky test"),
        lambda s: setattr(s.messages[1].tool_calls[0], "result_content", "print('hi')"),
        lambda s: setattr(s.messages[1].usage, "output_tokens", 6),
        lambda s: s.messages[0].blocks.append({"type": "text", "text": ""}),
    ):
        session = golden_session()
        mutate(session)
        assert session_to_wire(session)["fingerprint"] != base


def test_chain_finds_the_first_difference() -> None:
    a, b = session_to_wire(golden_session()), golden_session()
    b.messages[1].content = "changed"
    b = session_to_wire(b)
    assert a["messages"][0]["chain_hash"] == b["messages"][0]["chain_hash"]
    assert a["messages"][1]["chain_hash"] != b["messages"][1]["chain_hash"]


def test_checkpoints_sample_the_end_densely_and_always_reach_zero() -> None:
    assert checkpoint_ordinals(0) == []
    assert checkpoint_ordinals(1) == [0]
    assert checkpoint_ordinals(2) == [1, 0]
    assert checkpoint_ordinals(5000)[:5] == [4999, 4998, 4996, 4992, 4984]
    assert checkpoint_ordinals(5000)[-1] == 0 and len(checkpoint_ordinals(10**9)) <= 64
    wire = session_to_wire(golden_session())
    assert checkpoints(wire) == [
        [1, wire["messages"][1]["chain_hash"]],
        [0, wire["messages"][0]["chain_hash"]],
    ]
