-- 一括照会: many inquiries submitted in one request and answered by the node's batch worker.
-- Persisted before the submission is answered, so a stopped node finishes them when it restarts.
CREATE TABLE inquiry_batches (
    batch_id TEXT PRIMARY KEY,
    affair TEXT NOT NULL,
    provider TEXT NOT NULL,
    item TEXT NOT NULL,
    not_before TEXT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    item_count INTEGER NOT NULL,
    completed_at TEXT NULL
);
CREATE INDEX inquiry_batches_open ON inquiry_batches (submitted_at) WHERE completed_at IS NULL;

-- One person of a batch, by addressee number (never the Individual Number); outcome is null while
-- pending. A provided copy is kept here for the business system to fetch.
CREATE TABLE inquiry_batch_items (
    batch_id TEXT NOT NULL REFERENCES inquiry_batches (batch_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    addressee_number TEXT NOT NULL,
    outcome TEXT NULL,
    reason TEXT NULL,
    message_id TEXT NULL,
    schema_version INTEGER NULL,
    content TEXT NULL,
    updated_at TEXT NULL,
    provided_at TEXT NULL,
    answered_at TEXT NULL,
    PRIMARY KEY (batch_id, position),
    UNIQUE (batch_id, addressee_number)
);
CREATE INDEX inquiry_batch_items_pending ON inquiry_batch_items (batch_id, position) WHERE outcome IS NULL;
