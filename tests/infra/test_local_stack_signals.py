"""Stopping the local stack when a server exits on its own at the same moment."""

from __future__ import annotations

import signal
import subprocess
import sys

from infra.local.stack import _signal_group


def test_signalling_a_server_that_has_just_exited_is_not_an_error() -> None:
    # `local down` checks a server is alive, then signals its group; the server may exit between
    # the two (it was seen under load: ProcessLookupError out of `av-admin local down`).
    proc = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    proc.wait()
    _signal_group(proc.pid, signal.SIGTERM)
    _signal_group(proc.pid, signal.SIGKILL)


def test_a_live_group_is_signalled() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        _signal_group(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=10) == -signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
