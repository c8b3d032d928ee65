"""The local stack: PostgreSQL, a local CA and both functions under uvicorn, on one machine."""
