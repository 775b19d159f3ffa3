-- One key, one card, for every key a card makes: a card issued to a holder under 15 makes a signing key that no
-- certificate carries, and no other card may be certified with it either. The fingerprints (as 0008 writes them) move
-- from the certificates to the keys of the cards, where a key without a certificate is kept too; the primary key
-- refuses a key on a second card even for two issuances at once. A card withdrawn before delivery deletes its rows.
CREATE TABLE card_keys (
    public_key_sha256 TEXT PRIMARY KEY,
    card_id TEXT NOT NULL REFERENCES cards (card_id),
    resident_id TEXT NOT NULL
);
CREATE INDEX card_keys_card ON card_keys (card_id);
INSERT INTO card_keys (public_key_sha256, card_id, resident_id)
    SELECT public_key_sha256, card_id, resident_id FROM certificates WHERE public_key_sha256 IS NOT NULL;
DROP INDEX certificates_one_card_per_key;
ALTER TABLE certificates DROP COLUMN public_key_sha256;
