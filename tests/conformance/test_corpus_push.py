"""The real corpus through the whole product: push all of ../shared/corpus, every agent, to the
local stack (SQLite samples built from their ``build.sql``), verify, compare what the server holds
per session with what the parsers (the suites' subject) read, see every agent in the viewer's agent
list, and prove planted secrets never reach the server. Runs when ../shared/corpus exists."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
from pathlib import Path

import httpx
import psycopg
import pytest

from client.redact import Redactor
from client.sources.registry import native_sources
from client.wire import session_to_wire
from infra.local.stack import DATABASE, Stack
from tests.conformance.corpus import build_databases
from tests.e2e.test_local_stack import BIN, stack  # noqa: F401 - the fixture

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
SECRETS = {
    "aws-access-key": "AKIA" + "Z7Q2X4V6B8N0M1L3",
    "anthropic-key": "sk-ant-api03-" + "k" * 40 + "AA",
    "github-token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "url-password": "postgres://app:" + "Sup3rS3cretPw" + "@db.internal:5432/app",
}
SECRET_VALUES = ["Z7Q2X4V6B8N0M1L3", "k" * 40, "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "Sup3rS3cretPw"]

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"real corpus not present at {CORPUS}")


def _plant(root: Path) -> int:
    """Put every secret into the first user message of every Claude and Codex log."""
    planted = 0
    text = " ".join(SECRETS.values())
    for path in sorted(root.rglob("*.jsonl")):
        lines = path.read_bytes().split(b"\n")
        for i, raw in enumerate(lines):
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(obj, dict):
                continue
            msg, payload = obj.get("message"), obj.get("payload")
            if obj.get("type") == "user" and isinstance(msg, dict) and isinstance(msg.get("content"), str):
                msg["content"] += " " + text
            elif isinstance(payload, dict) and payload.get("role") == "user" and payload.get("content"):
                payload["content"][0]["text"] = payload["content"][0].get("text", "") + " " + text
            else:
                continue
            lines[i] = json.dumps(obj).encode()
            planted += 1
            break
        path.write_bytes(b"\n".join(lines))
    return planted


# Where each agent's samples lie in the corpus: one root per push round (a root stands for the
# agent's data folder; agents whose samples are separate data folders have several).
CORPUS_ROOTS: dict[str, list[str]] = {
    "claude": ["claude/projects"],
    "codex": ["codex/sessions"],
    "gemini": ["gemini"],
    "copilot": ["copilot"],
    "opencode": sorted(f"opencode/{p.name}" for p in (CORPUS / "opencode").iterdir() if p.is_dir())
    if (CORPUS / "opencode").is_dir()
    else [],
    "cursor": ["cursor/projects"],
    "amp": ["amp/threads", *sorted(f"amp/{p.name}/threads" for p in (CORPUS / "amp").glob("usage-*"))],
    "zencoder": ["zencoder/sessions"],
    "iflow": ["iflow/projects"],
    "vscode-copilot": ["vscode-copilot"],
    "pi": ["pi/sessions"],
    "openclaw": ["openclaw/agents", "openclaw/archive-naming/agents"],
    "qwen": ["qwen/projects"],
    "aider": ["aider"],
    "kilo": ["kilo/hybrid"],
    "kilo-legacy": ["kilo-legacy"],
    "roocode": ["roocode"],
    "openhands": ["openhands/conversations"],
    "warp": ["warp"],
    "kiro": ["kiro"],
    "windsurf": sorted(f"windsurf/{p.name}" for p in (CORPUS / "windsurf").iterdir() if p.is_dir())
    if (CORPUS / "windsurf").is_dir()
    else [],
    "zed": sorted(f"zed/{p.name}" for p in (CORPUS / "zed").iterdir() if p.is_dir())
    if (CORPUS / "zed").is_dir()
    else [],
    "goose": sorted(f"goose/{p.name}" for p in (CORPUS / "goose").iterdir() if p.is_dir())
    if (CORPUS / "goose").is_dir()
    else [],
}


def _rounds() -> list[dict[str, str]]:
    """Push rounds: round i points every agent at its i-th root (or at nothing once it has none)."""
    depth = max(len(roots) for roots in CORPUS_ROOTS.values())
    return [
        {agent: roots[i] for agent, roots in CORPUS_ROOTS.items() if i < len(roots)} for i in range(depth)
    ]


def _expected(copy: Path, chosen: dict[str, str], redactor: Redactor) -> dict[str, dict]:
    """What one push round should send: the first source and file to yield an id wins, as in the pusher."""
    out: dict[str, dict] = {}
    for source in native_sources():
        if source.name not in chosen:
            continue
        for path in source.discover(copy / chosen[source.name]):
            for session in source.parse(path)[0]:
                if session.messages and session.session_id not in out:
                    out[session.session_id] = session_to_wire(session, redactor)
    return out


def test_every_agent_has_corpus_roots() -> None:
    assert sorted(CORPUS_ROOTS) == sorted(s.name for s in native_sources())
    for agent, roots in CORPUS_ROOTS.items():
        assert roots and all((CORPUS / r).is_dir() for r in roots), agent


def test_the_real_corpus_round_trips_and_secrets_stay_home(stack, tmp_path: Path) -> None:  # noqa: F811
    env, values = stack
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS, copy)
    build_databases(copy)
    assert _plant(copy) >= 10
    base = {
        **env,
        **values,
        "AV_USER_PATH": str(tmp_path / "user"),
        "HOME": str(tmp_path / "home"),  # no agent's default location holds anything
    }
    redactor = Redactor()
    expected: dict[str, dict] = {}
    for n, chosen in enumerate(_rounds()):
        round_env = {**base}
        for source in native_sources():
            where = chosen.get(source.name)
            round_env[source.env_var] = str(copy / where) if where else str(tmp_path / "nothing")
        pushed = subprocess.run(
            [str(BIN / "av-client"), "push", "--json"],
            env=round_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
        summary = json.loads(pushed.stdout)
        assert summary["failed"] == []
        if n == 0:
            assert summary["redactions"].get("aws-access-token", 0) >= 10
            verify = subprocess.run(
                [str(BIN / "av-client"), "verify", "--json"],
                env=round_env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert verify.returncode == 0, verify.stdout
        expected.update(_expected(copy, chosen, redactor))  # a later round's copy of an id replaces it
    agents = {w["agent"] for w in expected.values()}
    assert agents == set(CORPUS_ROOTS)  # every agent has sessions on the server
    assert len(expected) >= 100

    stack_dir = Path(env["AV_DATA_DIR"])
    st = Stack(stack_dir)
    cluster = st.cluster(st.state())
    with psycopg.connect(cluster.socket_dsn(dbname=DATABASE), autocommit=True) as conn:
        rows = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT session_id, agent, message_count, tool_call_count, input_tokens, output_tokens, "
                "cache_read_tokens, cache_creation_tokens, parent_session_id, relationship "
                "FROM av.sessions WHERE deleted_at IS NULL"
            )
        }
        assert set(rows) == set(expected)
        for sid, wire in expected.items():
            msgs = wire["messages"]
            usage = [m.get("usage") or {} for m in msgs]
            assert rows[sid] == (
                wire["agent"],
                len(msgs),
                sum(len(m.get("tool_calls") or []) for m in msgs),
                sum(u.get("input_tokens", 0) for u in usage),
                sum(u.get("output_tokens", 0) for u in usage),
                sum(u.get("cache_read_tokens", 0) for u in usage),
                sum(u.get("cache_creation_tokens", 0) for u in usage),
                wire["parent_session_id"],
                wire["relationship"],
            ), sid
        held = "\n".join(
            str(r[0])
            for r in conn.execute(
                "SELECT concat_ws(' ', content, blocks::text) FROM av.messages UNION ALL "
                "SELECT concat_ws(' ', input_json, result_content) FROM av.tool_calls UNION ALL "
                "SELECT concat_ws(' ', first_message, display_name, cwd, project) FROM av.sessions"
            )
        )
    assert held
    for value in SECRET_VALUES:
        assert value not in held, f"a planted secret reached the server: {value[:6]}…"

    # The viewer's agent filter (the server's /agents list) names every agent.
    with httpx.Client(
        base_url=values["AV_VIEWER_URL"],
        verify=ssl.create_default_context(cafile=values["AV_CA_BUNDLE"]),
        headers={"Authorization": f"Bearer {values['AV_VIEWER_TOKEN']}"},
    ) as viewer:
        listed = viewer.get("api/v1/agents", params={"include_one_shot": "true"}).json()
    names = {row["name"] for row in listed.get("agents", listed.get("rows", []))}
    assert names == set(CORPUS_ROOTS)
