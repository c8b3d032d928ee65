"""The models every viewer answer builds on, and the error body: what the app needs at its start.

Kept apart from the answers' own models (models*.py) so that the app's error responses can be
declared without building those: a route group's models are built with the group, on its
first request (avcore.lazy_routes).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ApiModel(BaseModel):
    # A field with a default is still always sent, so the document marks it required.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Ok(ApiModel):
    ok: Literal[True] = True


class FieldError(ApiModel):
    field: str = Field(description="the parameter (or body field) that was wrong")
    message: str


class ErrorBody(ApiModel):
    """Every error, from one handler (avcore.web): the message names what was wrong."""

    ok: Literal[False] = False
    status: int
    error: str
    errors: list[FieldError]
