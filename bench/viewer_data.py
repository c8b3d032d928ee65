"""Synthetic data for the viewer benchmarks: realistic sizes, a tail of huge tool outputs.

Message text: 70 % short prose (50-400 chars), 25 % medium code-like (1-4 KB),
5 % long (10-60 KB); 2 % of messages carry CJK text. Tool outputs: 70 % small,
25 % medium, 5 % long, plus a tail of 1.2-2 MB outputs (0.005 % of calls, at least 5).
Text is drawn from pre-built pools plus per-row unique words, so common words match
many rows and rare ones few, as in real logs. Loaded with COPY straight into the
schema (the ingest protocol is not what is measured here).
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg

COMMON = (
    "the file test function error run build fix update config server client request response value "
    "return import class method data query index table session message user agent tool result output "
    "change commit branch merge deploy check path module package install version"
).split()
CODE = [
    "def handle_request(self, req):\n    return self.router.dispatch(req)\n",
    "import os\nfrom pathlib import Path\nROOT = Path(__file__).parent\n",
    "for (let i = 0; i < items.length; i++) { total += items[i].price; }\n",
    "SELECT id, name FROM users WHERE created_at > now() - interval '1 day';\n",
    "    at com.example.Service.handleRequest(Service.java:42)\n",
    "/home/dev/projects/app/src/components/SessionList.svelte:118:5 warning\n",
]
CJK = "東京都の天気は晴れです。データベースの索引を作成しました。日本語のテキスト検索"
RARE = [f"zq{''.join(random.Random(i).choices(string.ascii_lowercase, k=6))}" for i in range(5000)]


def _prose(rng: random.Random, n: int) -> str:
    words = rng.choices(COMMON, k=max(3, n // 6)) + rng.choices(RARE, k=2)
    rng.shuffle(words)
    return " ".join(words)[:n]


def _code(rng: random.Random, n: int) -> str:
    out, size = [], 0
    while size < n:
        piece = rng.choice(CODE) if rng.random() < 0.8 else _prose(rng, 80) + "\n"
        out.append(piece)
        size += len(piece)
    return "".join(out)[:n]


def message_text(rng: random.Random) -> str:
    r = rng.random()
    text = (
        _prose(rng, rng.randint(50, 400))
        if r < 0.70
        else _code(rng, rng.randint(1000, 4000))
        if r < 0.95
        else _code(rng, rng.randint(10_000, 60_000))
    )
    return text + (" " + CJK[rng.randint(0, 10) : rng.randint(12, len(CJK))] if rng.random() < 0.02 else "")


def tool_output(rng: random.Random, huge: bool) -> str:
    if huge:
        return _code(rng, rng.randint(1_200_000, 2_000_000))
    r = rng.random()
    return (
        _prose(rng, rng.randint(20, 1500))
        if r < 0.70
        else _code(rng, rng.randint(1000, 8000))
        if r < 0.95
        else _code(rng, rng.randint(10_000, 60_000))
    )


def load(
    conn: psycopg.Connection, tools_conn: psycopg.Connection, *, sessions: int, messages: int, seed: int = 7
) -> dict[str, int]:
    """Fill an empty migrated database; returns counts. Both are autocommit superuser connections:
    tool calls stream through the second one while the first is inside the messages COPY."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    machines = [
        conn.execute("INSERT INTO machines (name) VALUES (%s) RETURNING id", (f"m{i}",)).fetchone()[0]
        for i in range(4)
    ]
    sizes = [max(2, int(rng.expovariate(1 / (messages / sessions)))) for _ in range(sessions)]
    scale = messages / sum(sizes)
    sizes = [max(2, round(s * scale)) for s in sizes]
    huge_every = max(1, int(sum(sizes) * 0.5 / max(5, sum(sizes) // 20_000)))
    projects = [f"project-{i}" for i in range(40)]
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY sessions (machine_id, session_id, agent, project, first_message, started_at, ended_at, "
            "fingerprint, relationship, parent_session_id) FROM STDIN"
        ) as copy,
    ):
        starts = []
        for i in range(sessions):
            start = now - timedelta(days=rng.random() * 365, seconds=rng.randint(0, 86400))
            starts.append(start)
            child = i > 10 and rng.random() < 0.1
            copy.write_row(
                (
                    machines[i % 4],
                    f"s{i}",
                    rng.choice(["claude", "claude", "codex", "gemini"]),
                    rng.choice(projects),
                    _prose(rng, 120),
                    start,
                    start + timedelta(seconds=30 * sizes[i]),
                    "x",
                    "subagent" if child else "",
                    f"s{i - 1}" if child else None,
                )
            )
    pks = [r[0] for r in conn.execute("SELECT id FROM sessions ORDER BY id")]
    calls = huge = 0
    with conn.cursor() as cur:
        with cur.copy(
            "COPY messages (session_pk, ordinal, role, content, ts, model, message_key, has_thinking, "
            "has_tool_use, is_system, content_length, input_tokens, output_tokens, cache_read_tokens, "
            "chain_hash) FROM STDIN"
        ) as copy:
            tool_rows = []
            for pk, n, start in zip(pks, sizes, starts, strict=True):
                for o in range(n):
                    role = "user" if o % 2 == 0 else "assistant"
                    text = message_text(rng)
                    tool = role == "assistant" and rng.random() < 0.6
                    copy.write_row(
                        (
                            pk,
                            o,
                            role,
                            text,
                            start + timedelta(seconds=30 * o),
                            "claude-sonnet-4" if role == "assistant" else None,
                            f"k{o}" if role == "assistant" else None,
                            role == "assistant" and rng.random() < 0.2,
                            tool,
                            False,
                            len(text),
                            rng.randint(0, 5000) if role == "assistant" else 0,
                            rng.randint(0, 800) if role == "assistant" else 0,
                            0,
                            "h",
                        )
                    )
                    if tool:
                        calls += 1
                        big = calls % huge_every == 0
                        huge += big
                        tool_rows.append(
                            (
                                pk,
                                o,
                                0,
                                rng.choice(["Read", "Bash", "Edit", "Grep"]),
                                rng.choice(["read", "bash", "edit", "search"]),
                                tool_output(rng, big),
                            )
                        )
                    if len(tool_rows) >= 5000:
                        _copy_tools(tools_conn, tool_rows)
                        tool_rows = []
            _copy_tools(tools_conn, tool_rows)
    conn.execute("""
        UPDATE sessions s SET message_count = a.n, user_message_count = a.u, tool_call_count = a.t
        FROM (SELECT m.session_pk, count(*) n, count(*) FILTER (WHERE role = 'user') u,
                     count(*) FILTER (WHERE has_tool_use) t FROM messages m GROUP BY 1) a
        WHERE a.session_pk = s.id""")
    return {"sessions": sessions, "messages": sum(sizes), "tool_calls": calls, "huge_outputs": huge}


def _copy_tools(conn: psycopg.Connection, rows: list[tuple[object, ...]]) -> None:
    if not rows:
        return
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY tool_calls (session_pk, message_ordinal, call_index, tool_name, "
            "category, result_content, result_length) FROM STDIN"
        ) as copy,
    ):
        for r in rows:
            copy.write_row((*r, len(r[-1])))  # type: ignore[arg-type]


def rows_for_write_test(n: int, seed: int = 11) -> Iterator[tuple[int, str]]:
    rng = random.Random(seed)
    for i in range(n):
        yield i, message_text(rng)
