"""The ingest protocol, shared by av-client and ingest_fn: wire types, limits, version.

Why a package of its own: the client must not import server code (``avcore``,
``ingest_fn``), and the server must not import the client, yet both have to agree
on every field, limit and status. So the contract lives here, once, depending on
pydantic alone, and ships twice: in the client's wheel (packaging/av-client) and,
next to ``avcore``, in the functions' Lambda layer (infra/sam/Makefile). The
OpenAPI document ``docs/openapi-ingest.json`` is generated from these types
(``python -m infra.openapi``); docs/protocol.md says how to add a field.

- :mod:`avprotocol.limits` — every limit either side enforces or respects;
- :mod:`avprotocol.text` — how over-long text is cut (the same marker on both sides);
- :mod:`avprotocol.session` — a pushed session and its messages;
- :mod:`avprotocol.requests` — plan, push and deletes bodies (and the push body's encoding);
- :mod:`avprotocol.answers` — every answer of the ingest API.

This module imports nothing, so reading the version costs nothing (``av-client --version``).
"""

from typing import Final

# The release: av-client, both functions and the OpenAPI documents carry this one number.
__version__: Final = "0.3.0"

# The wire format's version, sent as ``protocol`` in every request body. A new optional
# field is not a new version; a new required field, a new status or action, or a field
# that changes meaning is (docs/protocol.md, "Changing the protocol").
PROTOCOL_VERSION: Final = 1
