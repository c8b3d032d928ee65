-- 0001: the whole product's core schema.
-- Runs as the owner role inside schema "av" (search_path is set by the runner).
-- Roles av_ingest and av_viewer exist already (`av-admin roles`).

-- Which database is this? A client remembers it, so a rebuilt or different
-- database is noticed (and healed) on the next push.
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO meta (key, value) VALUES ('database_id', gen_random_uuid()::text);

CREATE TABLE machines (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' AND name <> 'local'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_push_at  timestamptz
);

-- Device credentials: one machine per device token; only a hash is stored.
CREATE TABLE devices (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    machine_id    integer NOT NULL REFERENCES machines(id),
    name          text NOT NULL,
    token_hash    bytea NOT NULL UNIQUE,
    token_hint    text NOT NULL,           -- first characters, for listings
    scopes        text[] NOT NULL DEFAULT '{push}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX devices_machine ON devices (machine_id);

-- Viewer credentials: bearer tokens for scripts, and what a browser login checks.
CREATE TABLE viewer_credentials (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL,
    token_hash    bytea NOT NULL UNIQUE,
    token_hint    text NOT NULL,
    scopes        text[] NOT NULL DEFAULT '{read}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);

-- Every write takes the next value; the viewer polls max(change_seq) to notice change.
CREATE SEQUENCE change_seq;

CREATE TABLE sessions (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    machine_id            integer NOT NULL REFERENCES machines(id),
    session_id            text NOT NULL,
    agent                 text NOT NULL,
    project               text NOT NULL DEFAULT '',
    cwd                   text,
    git_branch            text,
    source_path           text,
    first_message         text,
    display_name          text,
    created_at            timestamptz,
    started_at            timestamptz,
    ended_at              timestamptz,
    last_activity         timestamptz GENERATED ALWAYS AS (COALESCE(ended_at, started_at, created_at, first_pushed_at)) STORED,
    message_count         integer NOT NULL DEFAULT 0,
    user_message_count    integer NOT NULL DEFAULT 0,
    tool_call_count       integer NOT NULL DEFAULT 0,
    parent_session_id     text,
    relationship          text NOT NULL DEFAULT ''
                          CHECK (relationship IN ('', 'subagent', 'fork', 'continuation')),
    parent_tool_use_id    text,
    models                text[] NOT NULL DEFAULT '{}',
    input_tokens          bigint NOT NULL DEFAULT 0,
    output_tokens         bigint NOT NULL DEFAULT 0,
    cache_creation_tokens bigint NOT NULL DEFAULT 0,
    cache_read_tokens     bigint NOT NULL DEFAULT 0,
    peak_context_tokens   bigint NOT NULL DEFAULT 0,
    fingerprint           text NOT NULL,      -- sha256 over the canonical session
    chain_head            text,               -- hash chain value of the last message
    deleted_at            timestamptz,        -- tombstone: deleted on the machine
    first_pushed_at       timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    change_seq            bigint NOT NULL DEFAULT nextval('change_seq'),
    UNIQUE (machine_id, session_id)
);
-- The list: newest activity first, live sessions only.
CREATE INDEX sessions_recent ON sessions (last_activity DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX sessions_project ON sessions (project, last_activity DESC) WHERE deleted_at IS NULL;
CREATE INDEX sessions_parent ON sessions (machine_id, parent_session_id) WHERE parent_session_id IS NOT NULL;
CREATE INDEX sessions_change ON sessions (change_seq);

CREATE TABLE messages (
    session_pk            bigint NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    ordinal               integer NOT NULL,
    role                  text NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content               text NOT NULL,      -- flattened text: display and search
    blocks                jsonb,              -- structured blocks for faithful rendering
    ts                    timestamptz,
    model                 text,
    message_key           text,               -- the agent's own message id (Claude message.id)
    has_thinking          boolean NOT NULL DEFAULT false,
    has_tool_use          boolean NOT NULL DEFAULT false,
    is_system             boolean NOT NULL DEFAULT false,
    content_length        integer NOT NULL DEFAULT 0,
    input_tokens          integer NOT NULL DEFAULT 0,
    output_tokens         integer NOT NULL DEFAULT 0,
    cache_creation_tokens integer NOT NULL DEFAULT 0,
    cache_read_tokens     integer NOT NULL DEFAULT 0,
    chain_hash            text NOT NULL,
    PRIMARY KEY (session_pk, ordinal)
);
-- lz4 is 2.5x faster to write than the default pglz here (docs/design.md).
ALTER TABLE messages ALTER COLUMN content SET COMPRESSION lz4;
ALTER TABLE messages ALTER COLUMN blocks SET COMPRESSION lz4;

CREATE TABLE tool_calls (
    session_pk          bigint NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    message_ordinal     integer NOT NULL,
    call_index          integer NOT NULL,
    tool_use_id         text NOT NULL DEFAULT '',
    tool_name           text NOT NULL,
    category            text NOT NULL DEFAULT 'other',
    input_json          text,
    skill_name          text,
    result_content      text,
    result_length       integer,
    result_truncated    boolean NOT NULL DEFAULT false,
    result_is_error     boolean NOT NULL DEFAULT false,
    subagent_session_id text,
    PRIMARY KEY (session_pk, message_ordinal, call_index)
);
ALTER TABLE tool_calls ALTER COLUMN input_json SET COMPRESSION lz4;
ALTER TABLE tool_calls ALTER COLUMN result_content SET COMPRESSION lz4;
CREATE INDEX tool_calls_name ON tool_calls (tool_name);

-- Idempotency: a replayed push (same device, same request id) gets the first answer.
CREATE TABLE ingest_requests (
    device_id    integer NOT NULL REFERENCES devices(id),
    request_id   text NOT NULL,
    response     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, request_id)
);
CREATE INDEX ingest_requests_age ON ingest_requests (created_at);

-- Least privilege: the writer gets DML on the data tables only, the viewer SELECT.
GRANT USAGE ON SCHEMA av TO av_ingest, av_viewer;
GRANT SELECT ON meta, schema_migrations TO av_ingest, av_viewer;
GRANT SELECT, UPDATE ON machines, devices TO av_ingest;
GRANT SELECT ON viewer_credentials TO av_ingest;
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions, messages, tool_calls, ingest_requests TO av_ingest;
GRANT USAGE ON SEQUENCE change_seq TO av_ingest;
GRANT SELECT ON machines, devices, viewer_credentials, sessions, messages, tool_calls TO av_viewer;
