"""Lambda entry point: wiring only. The app (and its connection) lives per container."""

import gc

# Off before any other import, back on once the app is built and frozen (avcore/lambda_entry.py).
gc.disable()

from avcore.lambda_entry import app_and_handler  # noqa: E402

app, handler = app_and_handler("ingest_fn.app")
