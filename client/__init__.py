"""av-client: find agent logs on this machine, parse, redact, fingerprint, push.

Never imports server code (``avcore``, ``ingest_fn``, ``viewer_fn``, ``infra``).
"""
