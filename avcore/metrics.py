"""Metrics as log lines: CloudWatch's embedded metric format (EMF), no API call, no client.

A Lambda function's stdout goes to CloudWatch Logs, which turns any JSON line with an
``_aws.CloudWatchMetrics`` section into metrics: :func:`emit` writes one such line through
the JSON logger (avcore.logs), so the same line is also a readable log entry. All metrics
are in the ``av-cloud`` namespace, the one template.yaml's alarms read.

Metrics (docs/deploy.md, "Monitoring"):

* ingest: ``Pushes``, ``SessionsApplied``, ``SessionsUnchanged``, ``SessionsRejected`` per
  push; ``RejectedRequests`` per refused request (dimension ``Status``: 400, 401, 403, 413,
  415, 429);
* indexer: ``IndexedSessions``, ``IndexerFailedSessions`` and ``IndexerLagSeconds`` (how long
  the oldest change not yet searchable has waited; 0 when none waits) on every pass.
"""

from __future__ import annotations

import logging
import time

NAMESPACE = "av-cloud"
log = logging.getLogger("av.metrics")


def emit(
    values: dict[str, float],
    *,
    unit: str = "Count",
    units: dict[str, str] | None = None,
    dimensions: dict[str, str] | None = None,
    message: str = "metrics",
    level: int = logging.INFO,
    **fields: object,
) -> None:
    """Log one line that CloudWatch reads as ``values`` (``units`` per name, else ``unit``)."""
    dims = dimensions or {}
    log.log(
        level,
        message,
        extra={
            **fields,
            **dims,
            **values,
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [sorted(dims)],
                        "Metrics": [{"Name": name, "Unit": (units or {}).get(name, unit)} for name in values],
                    }
                ],
            },
        },
    )
