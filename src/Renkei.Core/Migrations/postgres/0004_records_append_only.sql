-- 情報提供等記録 are append-only (番号法 art. 23): the database itself refuses to change or remove a
-- record, so a mistake or a careless query cannot, and tampering needs the rights to disable
-- this trigger (which the hash chain then exposes). Records are kept past retain_until: purging them
-- needs a verified checkpoint for the chain to start from, which the log does not have yet.
CREATE FUNCTION provision_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '情報提供等記録は変更・削除できません / provision records are append-only'; END $$;
CREATE TRIGGER provision_records_append_only BEFORE UPDATE OR DELETE ON provision_records
FOR EACH ROW EXECUTE FUNCTION provision_records_append_only();
-- TRUNCATE fires no row trigger; it would empty the log in one statement.
CREATE TRIGGER provision_records_no_truncate BEFORE TRUNCATE ON provision_records
FOR EACH STATEMENT EXECUTE FUNCTION provision_records_append_only();
