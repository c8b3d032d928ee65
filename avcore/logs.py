"""Structured logs: one JSON object per line, with the request ids that tie a line to its request.

Every line carries our request id (``X-Request-Id``: the client's, or one we made) and,
on Lambda, the invocation's ``aws_request_id`` and X-Ray trace id, so a line in CloudWatch
Logs leads to the API Gateway access log entry and the trace. Fields given as ``extra=``
are included as they are; message arguments are not interpolated into them. Nothing here
ever logs a token or session content: callers pass ids, counts and statuses.

This module imports no web framework, so the indexer and the admin function use it too.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
lambda_request_id_var: ContextVar[str | None] = ContextVar("lambda_request_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; ``extra=`` fields are included, message args are not."""

    RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        invocation = lambda_request_id_var.get()
        if invocation:
            entry["lambda_request_id"] = invocation
        trace = os.environ.get("_X_AMZN_TRACE_ID")  # set by Lambda for each invocation
        if trace:
            entry["xray_trace_id"] = trace.split(";", 1)[0].removeprefix("Root=")
        entry.update({k: v for k, v in record.__dict__.items() if k not in self.RESERVED})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Route every logger through one JSON handler on stdout (Lambda sends stdout to CloudWatch)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(level)
