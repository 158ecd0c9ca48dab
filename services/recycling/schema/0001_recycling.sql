-- Disposal rules, one row per taxonomy category (major, middle). The rows are seeded from
-- the package's data/rules.json at service start by an idempotent upsert; a row changes
-- only when its content_version (sha256 of its content) differs.

CREATE TABLE rules (
    major           text NOT NULL,
    middle          text NOT NULL,
    position        int NOT NULL,      -- taxonomy order, for listings and search ties
    label           text NOT NULL,     -- English label of the category
    rules           jsonb NOT NULL,    -- contracts.recycling.v1.DisposalRules
    minors          jsonb NOT NULL,    -- extra item names and English terms for search
    content_version text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (major, middle)
);
CREATE INDEX rules_position ON rules (position);
