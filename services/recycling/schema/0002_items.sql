-- The item dictionary (data/items.json), seeded at service start like the rules: one row
-- per item, rewritten only when its content_version changes, and one row per name
-- (Korean and English names, synonyms, misspellings) for search. `key` is the name folded
-- as the matcher compares names (services.recycling.terms.key: compact Korean, stemmed
-- English words joined), so 닭 뼈 and 닭뼈 are one key; a trigram index over it answers
-- substring and similarity queries in both languages.

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE items (
    id              text PRIMARY KEY,
    ko              text NOT NULL,
    en              text NOT NULL,
    major           text NOT NULL,
    middle          text NOT NULL,
    notes           text,
    part            boolean NOT NULL,  -- usually attached to another item (a label, a cap)
    position        int NOT NULL,      -- dictionary order (taxonomy order, then file order)
    content_version text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE item_names (
    item_id text NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    name    text NOT NULL,
    key     text NOT NULL,
    PRIMARY KEY (item_id, key)
);
CREATE INDEX item_names_key_trgm ON item_names USING gin (key public.gin_trgm_ops);

-- Search moved from the rules' extra names to the dictionary (ADR 0010).
ALTER TABLE rules DROP COLUMN minors;
