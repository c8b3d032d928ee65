"""The local stack: PostgreSQL, a local CA, the ingest under uvicorn and the viewer under Granian
(HTTP/2; infra/local/servers.py), on one machine."""
