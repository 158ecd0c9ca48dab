-- Chats, their messages (the person's and 이코's answers, which are also the replies),
-- idempotency keys of sends, tokens used per user and day; plus the outbox and the inbox.

CREATE TABLE chats (
    id            uuid PRIMARY KEY,
    user_id       text NOT NULL,
    title         text,
    scan_id       text,
    preview       text,
    message_count integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_message_at timestamptz,
    -- The list's order: the latest activity (the last message, else the creation).
    active_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX chats_user_active ON chats (user_id, active_at DESC, id DESC);

CREATE TABLE messages (
    id            uuid PRIMARY KEY,
    position      bigserial NOT NULL UNIQUE,   -- the order within a chat (and its cursor)
    chat_id       uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    user_id       text NOT NULL,
    role          text NOT NULL CHECK (role IN ('user', 'assistant')),
    text          text NOT NULL DEFAULT '',
    status        text NOT NULL CHECK (status IN ('completed', 'streaming', 'incomplete', 'failed')),
    reply_id      uuid,                        -- a question: its answer; an answer: itself
    scan_id       text,
    sources       jsonb NOT NULL DEFAULT '[]',
    reason        text CHECK (reason IN ('stopped', 'length')),
    error_code    text,
    error_message text,
    model         text,
    prompt_tokens integer,
    completion_tokens integer,
    created_by    uuid UNIQUE,                 -- the chat.send request (redelivery is idempotent)
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    completed_at  timestamptz,
    stop_requested_at timestamptz,
    CHECK ((status = 'incomplete') = (reason IS NOT NULL)),
    CHECK ((status = 'failed') = (error_code IS NOT NULL))
);
CREATE INDEX messages_chat_order ON messages (chat_id, position);
-- One answer at a time per person: a second insert while one streams conflicts here.
CREATE UNIQUE INDEX messages_one_active_reply ON messages (user_id) WHERE status = 'streaming';

-- The first message of (user, Idempotency-Key); a key older than 24 h may be taken again.
CREATE TABLE idempotency_keys (
    user_id    text NOT NULL,
    key        text NOT NULL,
    message_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Tokens the user's answers used, per UTC day (the daily budget).
CREATE TABLE usage (
    user_id text NOT NULL,
    day     date NOT NULL,
    tokens  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day)
);

-- eco2:include outbox

-- eco2:include inbox
