-- The signed tree heads of the nodes' tenants that the core witnessed: each accepted only when the tenant
-- proved it consistent with the one before (RFC 9162), so a tenant that rewrites its provision records
-- can no longer get a head witnessed, and whoever compares with the heads kept here sees the rewrite.
CREATE TABLE witnessed_heads (
    party TEXT NOT NULL,
    size BIGINT NOT NULL,
    root_hash TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    signature TEXT NOT NULL,
    witnessed_at TEXT NOT NULL,
    PRIMARY KEY (party, size)
);
