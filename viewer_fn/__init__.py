"""viewer_fn: the read-only JSON API and the static web viewer."""
