"""FastAPI imported with its own pydantic models left unbuilt until something uses them.

``import fastapi`` defines about forty pydantic models: the OpenAPI document's
(``fastapi.openapi.models``), two empty error models (``fastapi.exceptions``) and a few for
security schemes and server-sent events. pydantic builds each one's validator and core schema
when its class is created, ~25-35 ms of a cold start's CPU (docs/deployment.md, "Cold start"),
for models that only an OpenAPI document or a security scheme ever uses: the functions' requests
never touch them. pydantic's ``defer_build`` leaves a model's build to its first use, and FastAPI
does not set it; a class's config is merged from its bases' when the class is created, so it is
set on ``BaseModel``'s config for the length of FastAPI's import and taken off again. Models
defined afterwards (every model of ours) are built as before. Three of FastAPI's models
(``Schema``, ``Operation``, ``Encoding``) are still built during its import, by its own
``model_rebuild()`` calls. A deferred model builds itself, transparently, the first time it
validates, serializes or gives its schema (``app.openapi()`` does, and its output is unchanged:
tests/infra/test_sam.py compares the built functions' documents with docs/openapi-*.json).

If FastAPI was imported before (a test process, a tool), this does nothing.
"""

from __future__ import annotations

import importlib
import sys


def import_fastapi() -> None:
    """Import FastAPI, its own models deferred (above); a no-op once it is imported."""
    if "fastapi" in sys.modules:
        return
    from pydantic import BaseModel

    config = BaseModel.model_config
    had, before = "defer_build" in config, config.get("defer_build")
    config["defer_build"] = True
    try:
        importlib.import_module("fastapi")
    finally:
        if had:
            config["defer_build"] = before  # type: ignore[typeddict-item]
        else:
            del config["defer_build"]
