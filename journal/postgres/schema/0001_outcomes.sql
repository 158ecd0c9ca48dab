-- Finished journal entries of every worker, shipped by the sync loop (idempotent on message_id).
CREATE TABLE outcomes (
    message_id   uuid PRIMARY KEY,
    worker       text NOT NULL,
    type         text NOT NULL,
    version      int NOT NULL,
    state        text NOT NULL CHECK (state IN ('completed', 'failed')),
    attempts     int NOT NULL,
    envelope     jsonb NOT NULL,
    outcome      jsonb,
    error        text,
    received_at  timestamptz NOT NULL,
    completed_at timestamptz NOT NULL,
    synced_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outcomes_type_completed ON outcomes (type, completed_at);
