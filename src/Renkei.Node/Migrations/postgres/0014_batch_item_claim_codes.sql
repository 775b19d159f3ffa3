-- The agency code a batch person was asked with, kept in the claim beside message_id and asked_at: a claim found without an
-- outcome after a restart is recorded under that code, not the person's code now, which a release or a delivery may have
-- changed since (the record already written would be missed, and a second written under the same message id).
-- NULL: the person had no code, and nothing was sent.
ALTER TABLE inquiry_batch_items ADD COLUMN asked_code TEXT NULL;
-- Claims an earlier version left: the person's code now is the best left to go on, as that version used it.
UPDATE inquiry_batch_items SET asked_code = (SELECT a.agency_code FROM addressees a WHERE a.addressee_number = inquiry_batch_items.addressee_number)
WHERE asked_at IS NOT NULL AND outcome IS NULL;
