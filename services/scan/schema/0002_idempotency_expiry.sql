-- The housekeeping delete of keys past their window finds them by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
