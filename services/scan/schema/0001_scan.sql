-- Scans: one row per submitted photo and how far its pipeline got; the idempotency keys
-- clients sent with them; plus the outbox and inbox of journal/outbox.py, inbox.py.

CREATE TABLE scans (
    id            uuid PRIMARY KEY,
    user_id       text NOT NULL,
    image_key     text NOT NULL,
    hint          text NOT NULL DEFAULT '',
    status        text NOT NULL CHECK (status IN ('queued', 'processing', 'completed', 'failed')),
    stage         text NOT NULL,
    progress      smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    completed_at  timestamptz,
    result        jsonb,
    model         text,
    error_code    text,
    error_message text,
    created_by    uuid NOT NULL UNIQUE,   -- the scan.create request (redelivery is idempotent)
    CHECK ((status = 'completed') = (result IS NOT NULL)),
    CHECK ((status = 'failed') = (error_code IS NOT NULL))
);
-- The list query: a user's scans, newest first, by the keyset (created_at, id).
CREATE INDEX scans_user_newest ON scans (user_id, created_at DESC, id DESC);

-- The first scan of (user, Idempotency-Key); a key older than 24 h may be taken again.
CREATE TABLE idempotency_keys (
    user_id    text NOT NULL,
    key        text NOT NULL,
    scan_id    uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- eco2:include outbox

-- eco2:include inbox
