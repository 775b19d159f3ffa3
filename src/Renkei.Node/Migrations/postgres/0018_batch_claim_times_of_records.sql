-- A requester's record of a batch inquiry is now dated with its claim's time, and a claim left by an earlier run counts
-- as recorded only under that time (a self-inquiry's provider record, in the same log, carries the core's). Records written
-- by earlier builds took their own time, a moment after the claim: an open claim whose requester record exists takes that
-- record's time, or the next start would record it a second time. The requester's record is the one naming the batch's
-- provider, as the requester's own records do; in a self-inquiry (the tenant its own provider) the provider's record names
-- the same agencies and cannot be told apart, so those claims are left as they are: at worst a second record, never none.
UPDATE inquiry_batch_items SET asked_at = (
        SELECT p.requested_at FROM provision_records p JOIN inquiry_batches b ON b.batch_id = inquiry_batch_items.batch_id
        WHERE p.message_id = inquiry_batch_items.message_id AND p.provider = b.provider AND p.requester <> b.provider
        ORDER BY p.seq LIMIT 1)
WHERE asked_at IS NOT NULL AND outcome IS NULL
    AND EXISTS (
        SELECT 1 FROM provision_records p JOIN inquiry_batches b ON b.batch_id = inquiry_batch_items.batch_id
        WHERE p.message_id = inquiry_batch_items.message_id AND p.provider = b.provider AND p.requester <> b.provider);
