"""Every limit of the ingest protocol, defined once for the client and the server.

The server enforces them (a request over a count limit is a 400 naming the field;
over-long text is cut with a marker, never refused whole); the client stays under
them, and cuts text with the same limits before it fingerprints a session, so the
server never has to cut what the client sealed.
"""

from typing import Final

# Counts per request.
MAX_SESSIONS_PER_PUSH: Final = 500
MAX_MESSAGES_PER_SESSION_PART: Final = 50_000
MAX_TOOL_CALLS_PER_MESSAGE: Final = 1_000
MAX_PLAN_SESSIONS: Final = 5_000
MAX_CHECKPOINTS: Final = 64
MAX_DELETES: Final = 5_000
MAX_HELD_PAGE: Final = 5_000  # GET /v1/sessions?limit=
DEFAULT_HELD_PAGE: Final = 1_000

# Request bodies. API Gateway hands Lambda at most 6 MB, base64-encoded, so the client
# keeps its gzip bodies under SEND_BODY_BYTES; the server's caps are settings whose
# defaults are these (AV_MAX_BODY_BYTES, AV_MAX_DECOMPRESSED_BYTES).
MAX_BODY_BYTES: Final = 6 * 1024 * 1024
MAX_DECOMPRESSED_BYTES: Final = 64 * 1024 * 1024
SEND_BODY_BYTES: Final = 4 * 1024 * 1024
MAX_JSON_DEPTH: Final = 64
# av-client sends one gzip member. Each further member costs the server a copy of the rest
# of the body (and an empty one inflates to nothing, so the size cap never stops them).
MAX_GZIP_MEMBERS: Final = 16

# Identifiers and metadata (characters).
MAX_ID_CHARS: Final = 512  # session ids, tool use ids, skill names, message keys
MAX_AGENT_CHARS: Final = 64
MAX_MODEL_CHARS: Final = 256
MAX_NAME_CHARS: Final = 1_024  # project, git branch, display name as sent
MAX_PATH_CHARS: Final = 4_096  # cwd, source path
MAX_CATEGORY_CHARS: Final = 64
MAX_INT4: Final = 2**31 - 1  # ordinals and token counts are stored as PostgreSQL integers

# Times (a session's created/started/ended, a message's timestamp): from MIN_TIME_YEAR-01-01
# to before MAX_TIME_YEAR-01-01, UTC. Outside it a time is refused for its item, the field named
# (av-client sends no time there: it drops one out of range); year 10000 or BC would break reads.
MIN_TIME_YEAR: Final = 1970
MAX_TIME_YEAR: Final = 2100

# Free text: cut with TRUNCATION_MARKER past these, by the client before it seals a
# session and by the server for any client that did not.
MAX_TEXT_CHARS: Final = 1_000_000  # one message's content (and a text block's)
MAX_TOOL_RESULT_CHARS: Final = 2_000_000  # one tool output: big logs happen; cut, never reject
MAX_INPUT_JSON_CHARS: Final = 1_000_000
MAX_FIRST_MESSAGE_CHARS: Final = 1_000
MAX_METADATA_CHARS: Final = 4_096  # what the server stores of any metadata string
# A btree entry holds at most ~2,700 bytes, so an indexed text column (sessions.project) is
# cut to this many UTF-8 bytes: 1,024 characters of four-byte text would not fit.
MAX_INDEXED_TEXT_BYTES: Final = 2_000
TRUNCATION_MARKER: Final = "\n[… truncated by av-cloud: {dropped} more characters]"
