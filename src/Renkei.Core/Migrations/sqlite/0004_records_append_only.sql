-- 情報提供等記録 are append-only (番号法 art. 23): the database itself refuses to change or remove a
-- record, so a mistake or a careless query cannot, and tampering needs the rights to drop these
-- triggers (which the hash chain then exposes). Records are kept past retain_until: purging them
-- needs a verified checkpoint for the chain to start from, which the log does not have yet.
CREATE TRIGGER provision_records_no_update BEFORE UPDATE ON provision_records
BEGIN SELECT RAISE(ABORT, '情報提供等記録は変更・削除できません / provision records are append-only'); END;
CREATE TRIGGER provision_records_no_delete BEFORE DELETE ON provision_records
BEGIN SELECT RAISE(ABORT, '情報提供等記録は変更・削除できません / provision records are append-only'); END;
