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
DROP TRIGGER provision_records_no_update;
CREATE TRIGGER provision_records_no_update BEFORE UPDATE ON provision_records
-- Every comparison is null-safe or on a NOT NULL column: a NULL in WHEN would let the update through.
WHEN NOT (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL AND NEW.code IS NULL
    AND NEW.erased_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9][0-9]Z'
    AND OLD.retain_until < strftime('%Y-%m-%dT%H:%M:%S', 'now')
    AND NEW.seq IS OLD.seq AND NEW.record_id IS OLD.record_id AND NEW.message_id IS OLD.message_id
    AND NEW.requested_at IS OLD.requested_at AND NEW.provided_at IS OLD.provided_at AND NEW.requester IS OLD.requester
    AND NEW.provider IS OLD.provider AND NEW.affair IS OLD.affair AND NEW.item IS OLD.item AND NEW.outcome IS OLD.outcome
    AND NEW.reason IS OLD.reason AND NEW.withheld IS OLD.withheld AND NEW.retain_until IS OLD.retain_until
    AND NEW.content_hash IS OLD.content_hash AND NEW.chain_hash IS OLD.chain_hash)
BEGIN SELECT RAISE(ABORT, '情報提供等記録は変更・削除できません / provision records are append-only'); END;
-- The signed erasure only moves forward, and never past the end of the log (a statement out there would stop every later one).
CREATE TRIGGER provision_erasures_in_log BEFORE INSERT ON provision_erasures
WHEN NEW.erased_through > (SELECT COALESCE(MAX(seq), 0) FROM provision_records)
BEGIN SELECT RAISE(ABORT, '記録の消去は取り消せず、記録の末尾も越えません / an erasure of provision records only moves forward, and not past the last record'); END;
CREATE TRIGGER provision_erasures_no_rollback BEFORE UPDATE ON provision_erasures
WHEN NEW.erased_through < OLD.erased_through OR NEW.erased_through > (SELECT COALESCE(MAX(seq), 0) FROM provision_records)
BEGIN SELECT RAISE(ABORT, '記録の消去は取り消せず、記録の末尾も越えません / an erasure of provision records only moves forward, and not past the last record'); END;
CREATE TRIGGER provision_erasures_no_delete BEFORE DELETE ON provision_erasures
BEGIN SELECT RAISE(ABORT, '記録の消去は取り消せず、記録の末尾も越えません / an erasure of provision records only moves forward, and not past the last record'); END;
