"""What every log parser does before its own work: read the file once, pause the GC.

``read_log`` turns an unreadable file into a :class:`ParseProblem` (never an
exception), so every source reports it the same way. ``gc_paused``: the cyclic
GC finds nothing in freshly decoded JSON but is triggered over and over by the
allocation churn of parsing; pausing it is a large, safe speed-up.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from client.model import ParseProblem


def read_log(spath: str) -> bytes | ParseProblem:
    """The file's bytes, or the problem that stopped us reading it."""
    try:
        with open(spath, "rb") as fh:
            return fh.read()
    except OSError as exc:
        return ParseProblem(spath, None, f"cannot read file: {exc.strerror or exc}")


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
