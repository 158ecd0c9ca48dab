-- Characters: the catalog (upserted from services/character/catalog.py at every start),
-- who owns which, the grant answered for each scan, and erased users; plus the inbox of
-- journal/inbox.py for the `user.*` events.

CREATE TABLE characters (
    code     text PRIMARY KEY,
    name     text NOT NULL,
    type     text NOT NULL,
    dialog   text NOT NULL,
    middle   text,                -- NULL for the default character
    position int NOT NULL         -- catalog order
);

-- One row per (user, character): a second scan of the same category adds nothing here.
CREATE TABLE ownership (
    user_id        uuid NOT NULL,
    character_code text NOT NULL REFERENCES characters (code),
    acquired_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    source         text NOT NULL CHECK (source IN ('default', 'scan')),
    scan_id        text,
    UNIQUE (user_id, character_code),
    CHECK ((source = 'scan') = (scan_id IS NOT NULL))
);

-- The answer given to each scan's grant, written with the ownership it caused, so a
-- retried `character.grant` answers the same status as the first time.
CREATE TABLE grants (
    scan_id        text PRIMARY KEY,
    user_id        uuid NOT NULL,
    character_code text NOT NULL REFERENCES characters (code),
    status         text NOT NULL CHECK (status IN ('newly_acquired', 'already_owned')),
    granted_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX grants_user ON grants (user_id);

-- Users whose data was erased on `user.deleted` (the id only): a late grant or a
-- redelivered `user.registered` must not bring their data back.
CREATE TABLE erased_users (
    user_id   uuid PRIMARY KEY,
    erased_at timestamptz NOT NULL DEFAULT now()
);

-- eco2:include inbox
