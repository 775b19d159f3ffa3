-- Work the PKI does once, at a start after migrating, rather than at every start: a step is done when its row is here.
-- 'old-card-keys' keeps the keys of cards issued before migration 0007 (OldCardKeys): a database without certificates
-- yet has no such card, so the step is done from the start and no start reads the certificates for it.
CREATE TABLE pki_upkeep (
    step TEXT PRIMARY KEY,
    done_at TEXT NOT NULL
);
INSERT INTO pki_upkeep (step, done_at)
    SELECT 'old-card-keys', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    WHERE NOT EXISTS (SELECT 1 FROM certificates);
-- The cards in the order they were issued (the first of a card and its copy keeps their key), paged without sorting the table.
CREATE INDEX cards_issued ON cards (issued_at, card_id);
