"""`av-admin local up` on a new data directory starts a new cluster; `local reset` starts afresh.

As root the cluster lives outside the data directory (/var/lib/av-cloud), and a
fresh data directory at the path of a deleted one used to adopt the old
cluster with all its sessions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from infra.credentials import add_device
from infra.local.paths import clusters_of_path
from infra.local.stack import DATABASE, Stack

BIN = Path(sys.executable).parent


def _admin(cmd: list[str], data: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AV_DATA_DIR": str(data)}
    return subprocess.run(
        [BIN / "av-admin", "local", *cmd], env=env, capture_output=True, text=True, timeout=180, **kw
    )


def _machines(data: Path) -> set[str]:
    stack = Stack(data)
    with psycopg.connect(stack.cluster(stack.state()).socket_dsn(dbname=DATABASE), autocommit=True) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM av.machines")}


def _mark(data: Path, machine: str) -> None:
    stack = Stack(data)
    with psycopg.connect(stack.cluster(stack.state()).socket_dsn(dbname=DATABASE), autocommit=True) as conn:
        conn.execute("SET search_path = av")
        add_device(conn, machine=machine)


@pytest.fixture
def data(tmp_path: Path):
    data = tmp_path / "avdata"
    yield data
    _admin(["down"], data)
    for base in clusters_of_path(data):
        shutil.rmtree(base, ignore_errors=True)  # as root they live outside tmp_path


def test_a_new_data_dir_gets_a_new_cluster_and_reset_starts_afresh(data: Path) -> None:
    assert _admin(["up", "--machine", "first-box"], data).returncode == 0
    first_cluster = Stack(data).cluster_base(Stack(data).state())
    _mark(data, "old-sessions")
    assert _admin(["down"], data).returncode == 0

    # The data directory is deleted and made again at the same path: a new, empty cluster.
    shutil.rmtree(data)
    up = _admin(["up", "--machine", "second-box"], data)
    assert up.returncode == 0, up.stderr
    assert _machines(data) == {"second-box"}
    assert Stack(data).cluster_base(Stack(data).state()) != first_cluster or os.geteuid() != 0
    _mark(data, "to-be-reset")
    token = (data / "device.token").read_text()

    refused = _admin(["reset"], data, stdin=subprocess.DEVNULL)  # no terminal, no --yes
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert _machines(data) == {"second-box", "to-be-reset"}

    reset = _admin(["reset", "--yes"], data)
    assert reset.returncode == 0, reset.stderr
    assert _machines(data) == {"second-box"}  # same machine name, nothing else
    assert (data / "device.token").read_text() != token
    assert not first_cluster.exists()  # the earlier data directory's orphan went too
    assert clusters_of_path(data) == [Stack(data).cluster_base(Stack(data).state())]


def test_up_refuses_a_cluster_marked_by_another_stack(data: Path) -> None:
    assert _admin(["up"], data).returncode == 0
    assert _admin(["down"], data).returncode == 0
    stack = Stack(data)
    state = stack.state()
    state["stack_id"] = "someone-else"
    stack.save(state)
    refused = _admin(["up"], data)
    assert refused.returncode == 1
    assert "belongs to another local stack" in refused.stderr and "local reset" in refused.stderr
