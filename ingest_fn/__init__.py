"""ingest_fn: the only writer. Authenticates devices and upserts their sessions."""
