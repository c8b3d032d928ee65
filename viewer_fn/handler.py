"""Lambda entry point: wiring only. The app (and its connection) lives per container."""

import os

# FastAPI imports OpenTelemetry's propagators, whose default set is found by scanning
# every installed distribution's entry points: ~50-150 ms of cold start for a feature
# we do not use. An explicit OTEL_PROPAGATORS in the environment still wins.
os.environ.setdefault("OTEL_PROPAGATORS", "none")

from typing import Any  # noqa: E402

from mangum import Mangum  # noqa: E402

from avcore.logs import configure_logging  # noqa: E402
from avcore.runtime import built_and_settled, decoded_once, under_base_path  # noqa: E402
from viewer_fn.app import create_app  # noqa: E402

configure_logging()
app = built_and_settled(create_app)
asgi_handler = Mangum(under_base_path(app, app.state.settings.base_path), lifespan="off")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Mangum's handler, with the path as API Gateway decoded it (avcore.runtime.decoded_once)."""
    answer: dict[str, Any] = asgi_handler(decoded_once(event), context)
    return answer
