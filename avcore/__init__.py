"""Server code shared by ``ingest_fn`` and ``viewer_fn``.

Shipped to both functions as one SAM layer (see ``template.yaml``), so settings,
the PostgreSQL connection policy, credential hashing and the schema version exist
exactly once. The client (``client/``) never imports this package.
"""
