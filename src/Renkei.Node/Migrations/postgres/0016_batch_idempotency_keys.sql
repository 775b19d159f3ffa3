-- The Idempotency-Key a batch was submitted under, and the hash of its caller and request: a submission sent again after
-- its answer was lost gets the batch it made instead of a second one asking every person twice. Kept with the batch and
-- removed with it. NULL: submitted without a key.
ALTER TABLE inquiry_batches ADD COLUMN idempotency_key TEXT NULL;
ALTER TABLE inquiry_batches ADD COLUMN request_hash TEXT NULL;
-- One batch per key in the tenant: of two submissions racing under one key, the second's insert fails and it answers the first's batch.
CREATE UNIQUE INDEX inquiry_batches_idempotency_key ON inquiry_batches (idempotency_key) WHERE idempotency_key IS NOT NULL;
