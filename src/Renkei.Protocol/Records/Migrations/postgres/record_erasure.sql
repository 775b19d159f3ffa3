-- The core (its migration 0007) and the nodes (0008) apply this same file: each project embeds it under its own number.
-- 情報提供等記録 past their retention lose the person's code, and only that (消去): the record stays in the
-- chain and the tree with its hashes, so every later record, head and proof still holds, but it no longer
-- leads to anyone. The party erases a run from the start of its log and signs how far (provision_erasures);
-- /verify then accepts erased records only up to there. The database allows this one change, once, by its
-- own clock, and still refuses every other change and every removal.
ALTER TABLE provision_records ADD COLUMN erased_at TEXT NULL;
CREATE TABLE provision_erasures (
    party TEXT PRIMARY KEY,
    erased_through BIGINT NOT NULL,
    erased_at TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE OR REPLACE FUNCTION provision_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL AND NEW.code IS NULL
            AND NEW.erased_at ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{7}Z$'
            AND OLD.retain_until < to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
            AND (NEW.seq, NEW.record_id, NEW.message_id, NEW.requested_at, NEW.provided_at, NEW.requester, NEW.provider, NEW.affair,
                 NEW.item, NEW.outcome, NEW.reason, NEW.withheld, NEW.retain_until, NEW.content_hash, NEW.chain_hash)
                IS NOT DISTINCT FROM (OLD.seq, OLD.record_id, OLD.message_id, OLD.requested_at, OLD.provided_at, OLD.requester, OLD.provider,
                 OLD.affair, OLD.item, OLD.outcome, OLD.reason, OLD.withheld, OLD.retain_until, OLD.content_hash, OLD.chain_hash) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '情報提供等記録は変更・削除できません / provision records are append-only';
END $$;
-- The signed erasure only moves forward, and never past the end of the log (a statement out there would stop every later one).
CREATE FUNCTION provision_erasures_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF NEW.erased_through <= (SELECT COALESCE(MAX(seq), 0) FROM provision_records)
            AND (TG_OP = 'INSERT' OR NEW.erased_through >= OLD.erased_through) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '記録の消去は取り消せず、記録の末尾も越えません / an erasure of provision records only moves forward, and not past the last record';
END $$;
CREATE TRIGGER provision_erasures_forward_only BEFORE INSERT OR UPDATE OR DELETE ON provision_erasures
FOR EACH ROW EXECUTE FUNCTION provision_erasures_forward_only();
CREATE TRIGGER provision_erasures_no_truncate BEFORE TRUNCATE ON provision_erasures
FOR EACH STATEMENT EXECUTE FUNCTION provision_erasures_forward_only();
