"""Ingest throughput and latency, as ratios against raw COPY measured in the same run.

    .venv/bin/python bench/ingest_bench.py [--sessions 300] [--messages 100] [--repeat 5] [--in-flight 2]

Starts its own throwaway PostgreSQL (tests/pg.py), generates sessions with the
size mix of ../shared/reference/perf-baselines.md (70 % short, 25 % code-like
1–4 KB, 5 % tool output 10–60 KB; a tool call on every third message), and
measures, each into a fresh database with the product's schema:

1. raw COPY of exactly the rows the server stores (messages, tool_calls) — baseline;
2. raw COPY of the messages into a table with only a primary key and lz4 — the
   cost of storing the data at all (architecture.md's "cost of being searchable");
3. the server-side write path alone: validation and ``ingest_fn.store.write_sessions``
   per request-sized group of sessions, as /v1/push runs them;
4. end to end, as av-client pushes: its own code cuts the sessions into pieces,
   packs and gzips requests (``client.parts``) and sends them with its pipelined
   sender (``client.sender``, ``--in-flight`` requests on the wire, default as
   av-client's) over HTTPS through ``client.transport`` to ingest_fn under uvicorn
   in its own process (TLS, device auth, limits, validation, replay record, the
   write path). Building and gzipping the bodies is inside the timing;
5. for comparison, the same with bodies built beforehand and sent one at a time
   (the server and the transport alone);
6. p50/p95 latency of full-size (~3 MB gzip, 12 MB JSON) pushes.

Steps 1, 4 and 5 run ``--repeat`` times, interleaved, because this shared 2-core
machine varies by ±20 % from minute to minute; ratios are per repetition and
the median is reported with the range.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from avprotocol.answers import PushResponse, StatusResponse  # noqa: E402
from avprotocol.session import SessionIn  # noqa: E402
from client.config import PUSH_IN_FLIGHT_DEFAULT, ClientConfig  # noqa: E402
from client.fingerprint import seal  # noqa: E402
from client.parts import Outgoing, Request, RequestSizer, requests  # noqa: E402
from client.sender import PipelinedSender  # noqa: E402
from client.transport import IngestClient  # noqa: E402
from infra.credentials import add_device  # noqa: E402
from infra.local.ca import LocalCA  # noqa: E402
from infra.pgcluster import free_port  # noqa: E402
from ingest_fn.rows import COPY_MESSAGES_SQL, COPY_TOOL_CALLS_SQL, copy_rows  # noqa: E402
from ingest_fn.store import write_sessions  # noqa: E402
from tests.pg import create_database, prepare_template, start_server  # noqa: E402

WORDS = (
    "the session parser reads every line and pairs tool results with their calls so the viewer "
    "can render them faithfully while the server stays the source of truth"
).split()
CODE = "def handler(event, context):\n    rows = fetch(event['id'])\n    return {'count': len(rows)}\n"


def text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.70:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60)))
    if roll < 0.95:
        return (CODE * (rng.randint(1000, 4000) // len(CODE) + 1))[: rng.randint(1000, 4000)]
    # Tool output: log lines with ids and timings, about as compressible as real logs (3-5x).
    size = rng.randint(10_000, 60_000)
    lines, total = [], 0
    while total < size:
        line = f"{rng.getrandbits(64):016x} step {rng.randint(1, 999)} took {rng.random() * 100:.3f} ms ok\n"
        lines.append(line)
        total += len(line)
    return "".join(lines)[:size]


def make_sessions(count: int, messages: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    sessions = []
    for s in range(count):
        msgs = []
        for i in range(messages):
            msg = {
                "ordinal": i,
                "role": "user" if i % 2 == 0 else "assistant",
                "content": text(rng),
                "timestamp": f"2026-11-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
            }
            if i % 3 == 2:
                msg["has_tool_use"] = True
                msg["tool_calls"] = [
                    {
                        "call_index": 0,
                        "tool_name": "Bash",
                        "category": "bash",
                        "tool_use_id": f"toolu_{s}_{i}",
                        "input_json": '{"command": "pytest -q"}',
                        "result_content": text(rng),
                    }
                ]
            msgs.append(msg)
        sessions.append(
            seal(
                {
                    "session_id": f"bench-{uuid.uuid4().hex}",
                    "agent": "claude",
                    "project": "bench",
                    "messages": msgs,
                }
            )
        )
    return sessions


def payload_mb(sessions: list[dict]) -> float:
    return sum(len(orjson.dumps(s)) for s in sessions) / 1e6


def bench_raw_copy(db, sessions: list[dict], *, text_format: bool = False) -> float:
    """The product's COPY statements (binary format) with the rows already validated; or text format."""
    import psycopg

    statements = (COPY_MESSAGES_SQL, COPY_TOOL_CALLS_SQL)
    if text_format:
        statements = tuple(sql.replace(" (FORMAT BINARY)", "") for sql in statements)  # type: ignore[assignment]

    parsed = [SessionIn.model_validate(s) for s in sessions]
    with psycopg.connect(db.admin_dsn, autocommit=True, options="-c search_path=av") as conn:
        conn.execute("INSERT INTO machines (name) VALUES ('raw')")
        pks = [
            conn.execute(
                "INSERT INTO sessions (machine_id, session_id, agent, fingerprint) "
                "SELECT id, %s, 'claude', '' FROM machines WHERE name = 'raw' RETURNING id",
                (s.session_id,),
            ).fetchone()[0]
            for s in parsed
        ]
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            copy_rows(cur, list(zip(pks, parsed, strict=True)), statements=statements)
        return time.perf_counter() - started


def bench_pk_only_lz4(db, sessions: list[dict]) -> float:
    import psycopg

    with psycopg.connect(db.admin_dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE plain (session_id text, ordinal int, role text, content text, "
            "PRIMARY KEY (session_id, ordinal))"
        )
        conn.execute("ALTER TABLE plain ALTER COLUMN content SET COMPRESSION lz4")
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            with cur.copy("COPY plain FROM STDIN") as copy:
                for s in sessions:
                    for m in s["messages"]:
                        copy.write_row((s["session_id"], m["ordinal"], m["role"], m["content"]))
        return time.perf_counter() - started


def bench_write_path(db, sessions: list[dict]) -> float:
    """What /v1/push does with a request once its body is decoded: validate, then write_sessions."""
    import psycopg

    requests = requests_of(sessions)
    with psycopg.connect(db.admin_dsn, autocommit=True, options="-c search_path=av") as conn:
        machine_id = conn.execute("INSERT INTO machines (name) VALUES ('w') RETURNING id").fetchone()[0]
        started = time.perf_counter()
        for batch in requests:
            outcomes = write_sessions(
                conn, machine_id=machine_id, sessions=[SessionIn.model_validate(s) for s in batch]
            )
            assert all(o.status == "applied" for o in outcomes), outcomes
        return time.perf_counter() - started


class Server:
    """ingest_fn under uvicorn with TLS in its own process, as the local stack runs it.

    A separate process, not a thread: the client and the server are different
    machines in real use, and sharing one interpreter's GIL would charge the
    client's TLS and HTTP work to the server.
    """

    def __init__(self, db, tmp: Path) -> None:
        ca = LocalCA(tmp / "tls")
        ca.ensure()
        self.ca = ca
        self.port = free_port()
        env = {
            **os.environ,
            "AV_DATABASE_URL": db.ingest_dsn,
            "AV_ENVIRONMENT": "local",
            "AV_DB_POOL_SIZE": "4",
            "AV_DEVICE_RATE_PER_MINUTE": "1000000",
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "ingest_fn.app:serving_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--ssl-keyfile",
                str(ca.server_key),
                "--ssl-certfile",
                str(ca.server_cert),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.DEVNULL,
        )

    def __enter__(self) -> Server:
        ctx = ssl.create_default_context(cafile=str(self.ca.ca_cert))
        for _ in range(150):
            try:
                if (
                    httpx.get(f"https://localhost:{self.port}/v1/health", verify=ctx, timeout=1).status_code
                    == 200
                ):
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("ingest server did not start")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


RAW_LIMIT = 12 * 1024 * 1024  # as av-client: keeps far below the server's decompressed cap


def requests_of(sessions: list[dict], limit: int = 4 * 1024 * 1024) -> list[list[dict]]:
    """Sessions grouped as requests of at most ``limit`` gzip bytes and ``RAW_LIMIT`` JSON bytes."""
    out: list[list[dict]] = []
    batch: list[dict] = []
    estimate = raw = 0
    for s in sessions:
        encoded = orjson.dumps(s)
        size = len(gzip.compress(encoded, 1))
        if batch and (estimate + size > limit * 0.9 or raw + len(encoded) > RAW_LIMIT):
            out.append(batch)
            batch, estimate, raw = [], 0, 0
        batch.append(s)
        estimate += size
        raw += len(encoded)
    if batch:
        out.append(batch)
    return out


def body(batch: list[dict]) -> bytes:
    raw = b'{"protocol":1,"request_id":"%s","sessions":[%s]}' % (
        uuid.uuid4().hex.encode(),
        b",".join(orjson.dumps(s) for s in batch),
    )
    return gzip.compress(raw, 5)


def bodies(sessions: list[dict]) -> list[bytes]:
    return [body(batch) for batch in requests_of(sessions)]


def post_all(
    server: Server, token: str, payloads: list[bytes], *, in_flight: int = 1
) -> tuple[float, list[float]]:
    """POST every prepared payload, ``in_flight`` at a time; (total seconds, each request's seconds)."""
    ctx = ssl.create_default_context(cafile=str(server.ca.ca_cert))
    with httpx.Client(
        base_url=f"https://localhost:{server.port}",
        verify=ctx,
        timeout=120,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
    ) as client:

        def one(body: bytes) -> float:
            started = time.perf_counter()
            r = client.post("/v1/push", content=body)
            elapsed = time.perf_counter() - started
            assert r.status_code == 200, r.text
            assert all(i["status"] == "applied" for i in r.json()["results"]), r.text[:500]
            return elapsed

        warm(lambda path: client.get(path).raise_for_status(), in_flight)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=in_flight) as pool:
            each = list(pool.map(one, payloads))
        return time.perf_counter() - started, each


def warm(get: Callable[[str], object], connections: int = 2) -> None:
    """Open the connections a push will use (client to function, function to database), as the
    raw COPY baseline connects before its clock starts: the timing is the push, not the set-up."""
    with ThreadPoolExecutor(max_workers=connections) as pool:
        list(pool.map(lambda _: get("/v1/status"), range(connections)))


def push_as_client(server: Server, token: str, sessions: list[dict], *, in_flight: int) -> tuple[float, int]:
    """What av-client's push does once the plan asked for everything: pieces, pack, gzip, pipelined send.

    Returns (seconds, requests)."""
    config = ClientConfig(
        endpoint=f"https://localhost:{server.port}",
        token=token,
        ca_bundle=server.ca.ca_cert,
        plain_http=False,
    )
    answered = 0

    def on_answer(request: Request, answer: PushResponse) -> None:
        nonlocal answered
        assert [i.status for i in answer.results] == ["applied"] * len(request.pieces), answer
        answered += 1

    def on_error(request: Request, exc: Exception) -> None:
        raise exc

    with IngestClient(config) as client:
        warm(lambda path: client.get(path, answer=StatusResponse), in_flight)
        started = time.perf_counter()
        outgoing = [(Outgoing(s, ""), 0) for s in sessions]
        PipelinedSender(
            lambda r: client.post("/v1/push", r.body, answer=PushResponse, request_id=r.request_id),
            in_flight=in_flight,
        ).send(
            requests(outgoing, RequestSizer()),
            on_answer=on_answer,
            on_error=on_error,
            on_oversize=lambda o: on_error(None, RuntimeError(o)),
        )
        return time.perf_counter() - started, answered


def quiet(server) -> None:
    """Keep one step's background work out of the next step's timing.

    Each step loads ~100 MB into a fresh database, which makes autovacuum analyze it up
    to a minute later — in the middle of whichever step runs then. On our own throwaway
    cluster autovacuum is switched off for the run; then a checkpoint before each step.
    """
    import psycopg

    with psycopg.connect(server.admin_dsn, autocommit=True) as conn:
        if server.cluster is not None:
            conn.execute("ALTER SYSTEM SET autovacuum = off")
            conn.execute("SELECT pg_reload_conf()")
        conn.execute("CHECKPOINT")


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--pushes-4mb", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--in-flight",
        type=int,
        default=PUSH_IN_FLIGHT_DEFAULT,
        help=f"requests on the wire for the av-client run (av-client's default: {PUSH_IN_FLIGHT_DEFAULT})",
    )
    args = parser.parse_args()
    sessions = make_sessions(args.sessions, args.messages)
    mb = payload_mb(sessions)
    rows = args.sessions * args.messages
    print(f"data: {args.sessions} sessions x {args.messages} messages = {rows} messages, {mb:.1f} MB of JSON")
    copies, text_copies, clients, prebuilt = [], [], [], []
    with start_server() as server, tempfile.TemporaryDirectory() as tmp:
        prepare_template(server)
        quiet(server)
        t_plain = bench_pk_only_lz4(create_database(server), sessions)
        quiet(server)
        t_write = bench_write_path(create_database(server), sessions)
        payloads = bodies(sessions)
        for _ in range(args.repeat):
            quiet(server)
            copies.append(bench_raw_copy(create_database(server), sessions))
            quiet(server)
            text_copies.append(bench_raw_copy(create_database(server), sessions, text_format=True))
            for run in ("client", "prebuilt"):
                quiet(server)
                db = create_database(server)
                with db.admin() as conn:
                    token = add_device(conn, machine="bench").token
                with Server(db, Path(tmp)) as srv:
                    if run == "client":
                        seconds, requests = push_as_client(srv, token, sessions, in_flight=args.in_flight)
                        clients.append(seconds)
                    else:
                        prebuilt.append(post_all(srv, token, payloads)[0])
                    if run == "prebuilt" and len(prebuilt) == 1:
                        big = bodies(make_sessions(args.pushes_4mb * 30, 100, seed=2))
                        latencies = post_all(srv, token, big)[1]
    t_copy = statistics.median(copies)

    def ratio_line(label: str, times: list[float], note: str) -> None:
        ratios = sorted(c / t for c, t in zip(copies, times, strict=True))
        text = statistics.median(c / t for c, t in zip(text_copies, times, strict=True))
        t = statistics.median(times)
        quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
        print(
            f"{label:<38} {rows / t:9.0f} msg/s {mb / t:7.1f} MB/s   {statistics.median(ratios):6.1%} of COPY "
            f"(runs {ratios[0]:.0%}-{ratios[-1]:.0%}, quartiles {quartiles[0]:.0%}/{quartiles[2]:.0%}; "
            f"{text:.0%} of text COPY){note}"
        )

    print(
        f"raw COPY (same rows, product schema)   {rows / t_copy:9.0f} msg/s {mb / t_copy:7.1f} MB/s   baseline, "
        f"binary format as the product writes, median of {args.repeat}"
    )
    t_text = statistics.median(text_copies)
    print(f"raw COPY, text format (for reference)  {rows / t_text:9.0f} msg/s {mb / t_text:7.1f} MB/s")
    print(f"raw COPY (PK-only lz4 table)           {rows / t_plain:9.0f} msg/s {mb / t_plain:7.1f} MB/s")
    print(
        f"server write path (write_sessions)     {rows / t_write:9.0f} msg/s {mb / t_write:7.1f} MB/s   "
        f"{t_copy / t_write:6.1%} of COPY  (budget >= 50 %)"
    )
    ratio_line(
        f"end to end, av-client ({args.in_flight} in flight)",
        clients,
        f"  (budget >= 50 %), {requests} requests",
    )
    ratio_line("end to end, prebuilt bodies, 1 at a time", prebuilt, "")
    t_client = statistics.median(clients)
    print(
        f"  the cost of being searchable: av-client end to end = {t_plain / t_client:6.1%} of PK-only lz4 COPY "
        f"(budget >= 25 %)"
    )
    sizes = [len(b) / 1e6 for b in big]
    print(
        f"large pushes: {len(big)} requests of {statistics.mean(sizes):.2f} MB gzip "
        f"({RAW_LIMIT // 2**20} MB of JSON) on average: "
        f"p50 {pct(latencies, 50) * 1000:.0f} ms, p95 {pct(latencies, 95) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
