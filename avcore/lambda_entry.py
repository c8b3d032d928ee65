"""A Lambda function's handler, built at a cold start's least cost: one recipe for both functions.

A handler module turns the garbage collector off on its first line (``gc.disable()``, before any
other import: everything imported and built from there to the app's end lives as long as the
container, and the collector would walk it ~100 times for nothing, ~10 % of the cold start), then
calls :func:`app_and_handler`, which imports and builds the app and turns the collector back on once
all of it is frozen (``built_and_settled``, avcore/runtime.py) — or at once if the build fails.
"""

from __future__ import annotations

import gc
import importlib
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI
    from mangum import Mangum


def app_and_handler(app_module: str) -> tuple[FastAPI, Mangum]:
    """The app that ``app_module``'s ``create_app()`` builds, and Mangum's handler for it under
    the app's base path."""
    # FastAPI imports OpenTelemetry's propagators, whose default set is found by scanning
    # every installed distribution's entry points: ~50-150 ms of cold start for a feature
    # we do not use. An explicit OTEL_PROPAGATORS in the environment still wins.
    os.environ.setdefault("OTEL_PROPAGATORS", "none")
    # A failed import or build must not leave the process without a collector: Lambda exits on an
    # init error, but a test, a tool or a bench that imported the handler would live on.
    try:
        from avcore.fastapi_import import import_fastapi

        import_fastapi()  # before anything else imports it: its own models are built on first use

        from mangum import Mangum

        from avcore.logs import configure_logging
        from avcore.runtime import built_and_settled, under_base_path

        create_app = importlib.import_module(app_module).create_app
        configure_logging()
        app: FastAPI = built_and_settled(create_app)
        return app, Mangum(under_base_path(app, app.state.settings.base_path), lifespan="off")
    except BaseException:
        gc.enable()
        raise
