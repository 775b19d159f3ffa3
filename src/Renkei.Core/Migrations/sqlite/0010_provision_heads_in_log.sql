-- The signed head never counts more records than the log holds. A head raised past the last record (count 9e18, any
-- signature) would otherwise sit above every later head the party signs (each is kept only when it is ahead of the
-- stored one), so the log would go on without a head of its own. As provision_erasures never passes the last record.
CREATE TRIGGER provision_heads_in_log BEFORE INSERT ON provision_heads
WHEN NEW.record_count > (SELECT COALESCE(MAX(seq), 0) FROM provision_records)
BEGIN SELECT RAISE(ABORT, '署名済みの先頭は記録の末尾を越えません / the signed head of provision records does not reach past the last record'); END;
CREATE TRIGGER provision_heads_in_log_on_update BEFORE UPDATE ON provision_heads
WHEN NEW.record_count > (SELECT COALESCE(MAX(seq), 0) FROM provision_records)
BEGIN SELECT RAISE(ABORT, '署名済みの先頭は記録の末尾を越えません / the signed head of provision records does not reach past the last record'); END;
