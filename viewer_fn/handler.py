"""Lambda entry point: wiring only. The app (and its connection) lives per container."""

from mangum import Mangum

from avcore.web import configure_logging
from viewer_fn.app import create_app

configure_logging()
app = create_app()
handler = Mangum(app, lifespan="off")
