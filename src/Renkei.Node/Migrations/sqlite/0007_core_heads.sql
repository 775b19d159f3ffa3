-- The core's signed tree heads that this tenant kept: each taken only when the core proved it consistent
-- with the one kept before (RFC 9162), so the core's provision records cannot be rewritten unseen even by
-- whoever holds the core's database and key; the tenant stops taking heads, and auditors compare with these.
CREATE TABLE core_heads (
    size BIGINT PRIMARY KEY,
    root_hash TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    signature TEXT NOT NULL,
    kept_at TEXT NOT NULL
);
