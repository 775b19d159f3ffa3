-- The latest head each party signed over its provision records, written in the transaction of each batch:
-- /verify compares the log with it, so records removed from the end, or rewritten with recomputed hashes,
-- no longer match a head the party signed. The head only moves forward and is never removed.
CREATE TABLE provision_heads (
    party TEXT PRIMARY KEY,
    record_count BIGINT NOT NULL,
    chain_hash TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TRIGGER provision_heads_no_rollback BEFORE UPDATE ON provision_heads WHEN NEW.record_count < OLD.record_count
BEGIN SELECT RAISE(ABORT, '署名済みの先頭は戻せません / the signed head of provision records only moves forward'); END;
CREATE TRIGGER provision_heads_no_delete BEFORE DELETE ON provision_heads
BEGIN SELECT RAISE(ABORT, '署名済みの先頭は戻せません / the signed head of provision records only moves forward'); END;
