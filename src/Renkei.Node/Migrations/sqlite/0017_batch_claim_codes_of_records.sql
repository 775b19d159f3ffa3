-- Claims the 0013 build left (a hard stop, or a restart on a full disk) got from 0014 the person's code at the upgrade,
-- which a release or a delivery after the claim may have changed: one whose inquiry the requester recorded takes the code
-- of that record instead, the code it was asked with (NULL: tried without a code), so that it is answered and recorded as
-- what it was, not as never sent nor under a second record. A claim made since 0014 holds its record's code already.
-- Message ids have no index: each claim left costs a scan of the records, once, and a tenant has at most a page of them.
UPDATE inquiry_batch_items SET asked_code = (SELECT p.code FROM provision_records p WHERE p.message_id = inquiry_batch_items.message_id ORDER BY p.seq LIMIT 1)
WHERE asked_at IS NOT NULL AND outcome IS NULL
    AND EXISTS (SELECT 1 FROM provision_records p WHERE p.message_id = inquiry_batch_items.message_id);
