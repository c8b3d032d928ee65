"""PostgreSQL access for the functions: the TLS policy and a tiny connection pool."""
