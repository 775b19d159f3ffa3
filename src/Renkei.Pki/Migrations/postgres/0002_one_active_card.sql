-- At most one active card per resident. Issuances before this index could race and leave two
-- active: keep the newest, supersede the others and revoke their certificates first.
UPDATE certificates
SET revoked_at = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), revocation_reason = 'Superseded'
WHERE revoked_at IS NULL AND card_id IN (
    SELECT c.card_id FROM cards c
    WHERE c.status = 'active' AND EXISTS (
        SELECT 1 FROM cards n
        WHERE n.resident_id = c.resident_id AND n.status = 'active'
          AND (n.issued_at > c.issued_at OR (n.issued_at = c.issued_at AND n.card_id > c.card_id))));

UPDATE cards
SET status = 'superseded', status_changed_at = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
WHERE status = 'active' AND EXISTS (
    SELECT 1 FROM cards n
    WHERE n.resident_id = cards.resident_id AND n.status = 'active'
      AND (n.issued_at > cards.issued_at OR (n.issued_at = cards.issued_at AND n.card_id > cards.card_id)));

CREATE UNIQUE INDEX cards_one_active ON cards (resident_id) WHERE status = 'active';
