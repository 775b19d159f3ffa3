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
CREATE FUNCTION provision_heads_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.record_count >= OLD.record_count THEN RETURN NEW; END IF;
    RAISE EXCEPTION '署名済みの先頭は戻せません / the signed head of provision records only moves forward';
END $$;
CREATE TRIGGER provision_heads_forward_only BEFORE UPDATE OR DELETE ON provision_heads
FOR EACH ROW EXECUTE FUNCTION provision_heads_forward_only();
CREATE TRIGGER provision_heads_no_truncate BEFORE TRUNCATE ON provision_heads
FOR EACH STATEMENT EXECUTE FUNCTION provision_heads_forward_only();
