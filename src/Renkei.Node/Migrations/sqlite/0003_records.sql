-- 情報提供等記録: append-only, hash-chained provision records (see ProvisionLog).
CREATE TABLE provision_records (
    seq BIGINT PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    message_id TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    provided_at TEXT NULL,
    requester TEXT NOT NULL,
    provider TEXT NOT NULL,
    affair TEXT NOT NULL,
    item TEXT NOT NULL,
    code TEXT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NULL,
    withheld INTEGER NOT NULL,
    retain_until TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    chain_hash TEXT NOT NULL
);
CREATE INDEX provision_records_code ON provision_records (code);
