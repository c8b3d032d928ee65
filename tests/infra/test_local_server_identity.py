"""`av-admin local up` stops a recorded server of another kind only when the recorded pid is
provably that server (after a reboot the pid may belong to any process: a user's shell job)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from infra.local import servers
from infra.local.stack import _runs_app


@pytest.fixture
def pretend_viewer() -> Iterator[int]:
    """A process whose command line is that of a viewer server on port 18443 (it only sleeps)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; time.sleep(60)",
            "-m",
            "uvicorn",
            servers.VIEWER_APP,
            "--port",
            "18443",
        ]
    )
    try:
        # Its command line once the interpreter is running (a process just forked still shows ours).
        deadline = time.monotonic() + 10
        while (
            servers.VIEWER_APP
            not in subprocess.run(
                ["ps", "-ww", "-o", "args=", "-p", str(proc.pid)], capture_output=True, text=True, check=False
            ).stdout
        ):
            assert proc.poll() is None and time.monotonic() < deadline, "the stand-in did not start"
            time.sleep(0.05)
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_a_server_is_known_by_its_app_and_port(pretend_viewer: int) -> None:
    assert _runs_app(pretend_viewer, "viewer", 18443)
    assert not _runs_app(pretend_viewer, "viewer", 18444)  # another stack's, or another port
    assert not _runs_app(pretend_viewer, "ingest", 18443)


def test_any_other_process_is_not_ours() -> None:
    assert not _runs_app(os.getpid(), "viewer", 18443)  # pytest itself
    assert not _runs_app(2**22 + 7, "viewer", 18443)  # no such process
