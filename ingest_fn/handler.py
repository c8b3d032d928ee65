"""Lambda entry point: wiring only. The app (and its connection) lives per container."""

import gc

# What is imported and built from here to the app's end lives as long as the container: the
# collector would walk it ~100 times for nothing (~10 % of the cold start). built_and_settled()
# turns it back on once all of it is frozen (avcore/runtime.py).
gc.disable()

import os  # noqa: E402

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
    from ingest_fn.app import create_app

    configure_logging()
    app = built_and_settled(create_app)
    handler = Mangum(under_base_path(app, app.state.settings.base_path), lifespan="off")
except BaseException:
    gc.enable()
    raise
