-- The agency register: who is on the network, where its node is, and the keys it signs and receives with.
CREATE TABLE agencies (
    agency_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    local_government_code TEXT NULL,
    corporate_number TEXT NULL,
    node_address TEXT NOT NULL,
    signing_key TEXT NOT NULL,
    encryption_key TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
