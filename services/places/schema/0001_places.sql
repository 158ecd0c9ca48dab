-- Collection points, one row per (source, source_id); written by `eco2 places import`
-- (an idempotent upsert: a row changes only when its content_version, a sha256 of its
-- content, differs) and read by the places service.
-- The extensions go to schema public so that every schema's queries find them.
CREATE EXTENSION IF NOT EXISTS cube WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS earthdistance WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE places (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source          text NOT NULL,          -- services.places.model.Source
    source_id       text NOT NULL,
    name            text NOT NULL,
    address         text,
    alt_address     text,
    lat             double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon             double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    phone           text,
    phones          text[] NOT NULL DEFAULT '{}',
    category        text NOT NULL,          -- contracts.places.v1.Category
    accepts         text[] NOT NULL DEFAULT '{}',  -- contracts.places.v1.Item codes
    items           text[] NOT NULL DEFAULT '{}',  -- the source's own item names
    hours           jsonb NOT NULL,         -- services.places.hours.WeeklySchedule
    url             text,
    notes           text[] NOT NULL DEFAULT '{}',
    content_version text NOT NULL,
    imported_at     timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_id)
);

-- Nearby: an earth_box prefilter on this index, re-checked with earth_distance.
CREATE INDEX places_earth ON places USING gist (public.ll_to_earth(lat, lon));
CREATE INDEX places_category ON places (category);
CREATE INDEX places_accepts ON places USING gin (accepts);
-- Text search: trigram similarity and substring matches on name and address.
CREATE INDEX places_name_trgm ON places USING gin (name public.gin_trgm_ops);
CREATE INDEX places_address_trgm ON places USING gin (address public.gin_trgm_ops);
