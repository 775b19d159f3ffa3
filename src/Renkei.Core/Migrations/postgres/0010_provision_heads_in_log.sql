-- The signed head never counts more records than the log holds. A head raised past the last record (count 9e18, any
-- signature) would otherwise sit above every later head the party signs (each is kept only when it is ahead of the
-- stored one), so the log would go on without a head of its own. As provision_erasures never passes the last record.
-- AFTER the row, so that a batch's head, stored in the same statement as its records (a data-modifying WITH), sees them.
CREATE FUNCTION provision_heads_in_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.record_count > (SELECT COALESCE(MAX(seq), 0) FROM provision_records) THEN
        RAISE EXCEPTION '署名済みの先頭は記録の末尾を越えません / the signed head of provision records does not reach past the last record';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER provision_heads_in_log AFTER INSERT OR UPDATE ON provision_heads
FOR EACH ROW EXECUTE FUNCTION provision_heads_in_log();
