-- Accounts: users, their credentials and OAuth identities, sessions (refresh-token
-- families) and refresh tokens; plus the outbox and inbox of journal/outbox.py, inbox.py.

-- A deleted user keeps an anonymised row (no email, no nickname), so ids are never reused.
CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text UNIQUE,
    nickname      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    registered_by uuid,          -- the request that created it (redelivery is idempotent)
    deleted_at    timestamptz,
    deleted_by    uuid,
    CHECK ((deleted_at IS NULL) = (email IS NOT NULL AND nickname IS NOT NULL))
);

CREATE TABLE password_credentials (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE identities (
    provider   text NOT NULL,
    subject    text NOT NULL,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_user ON identities (user_id);

CREATE TABLE sessions (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider       text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    revoked_reason text
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Only sha256(secret) is kept. `used_at` set = rotated; presenting it again is reuse.
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    secret_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    used_by     uuid            -- the refresh request that rotated it
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- eco2:include outbox

-- eco2:include inbox
