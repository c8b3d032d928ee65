"""Opening what a command needs: configuration, state, the HTTPS client."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from client.config import ClientConfig, load_config, redact_patterns
from client.push import Pusher, PushOptions, PushSummary
from client.state import State, open_state
from client.transport import IngestClient


@contextmanager
def connected(config: ClientConfig | None = None) -> Iterator[IngestClient]:
    config = config or load_config()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the CLI prints its own plain-HTTP warning
        client = IngestClient(config)
    with client:
        yield client


def run_push(
    options: PushOptions, *, progress: Callable[[str, int], None] | None = None, state: State | None = None
) -> PushSummary:
    config = load_config()
    if options.redact and not options.redact_patterns:
        options.redact_patterns = redact_patterns()
    own_state = state is None
    st = state or open_state()
    try:
        with connected(config) as client:
            return Pusher(client, st, options, progress=progress).run()
    finally:
        if own_state:
            st.close()
