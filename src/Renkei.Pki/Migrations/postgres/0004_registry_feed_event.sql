-- The id of the event at the kept position: on each read the Registry is asked whether that position still holds it,
-- so that a Registry restored from a backup, which gives its positions to other events, is noticed instead of skipped.
-- NULL for a position kept before (taken from the Registry once, with a warning).
ALTER TABLE registry_feed ADD COLUMN event_id TEXT;
