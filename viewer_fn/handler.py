"""Lambda entry point: wiring only. The app (and its connection) lives per container."""

import gc

# Off before any other import, back on once the app is built and frozen (avcore/lambda_entry.py).
gc.disable()

from typing import Any  # noqa: E402

from avcore.lambda_entry import app_and_handler  # noqa: E402
from avcore.runtime import decoded_once  # noqa: E402

app, asgi_handler = app_and_handler("viewer_fn.app")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Mangum's handler, with the path as API Gateway decoded it (avcore.runtime.decoded_once)."""
    answer: dict[str, Any] = asgi_handler(decoded_once(event), context)
    return answer
