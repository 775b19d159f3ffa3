CREATE TABLE cards (
    card_id TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    status TEXT NOT NULL,
    status_changed_at TEXT
);
CREATE INDEX cards_resident ON cards (resident_id);

CREATE TABLE certificates (
    serial TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    card_id TEXT NOT NULL REFERENCES cards (card_id),
    resident_id TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    not_before TEXT NOT NULL,
    not_after TEXT NOT NULL,
    der BLOB NOT NULL,
    revoked_at TEXT,
    revocation_reason TEXT
);
CREATE INDEX certificates_resident ON certificates (resident_id);
CREATE INDEX certificates_card ON certificates (card_id);
CREATE INDEX certificates_revoked ON certificates (kind, revoked_at);

CREATE TABLE verifiers (
    verifier_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    approved INTEGER NOT NULL,
    signing INTEGER NOT NULL,
    authentication INTEGER NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    registered_at TEXT NOT NULL
);

CREATE TABLE registry_feed (
    id INTEGER PRIMARY KEY,
    position INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
