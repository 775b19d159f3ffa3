-- A card makes its key pairs in its chip, so a public key certified on a second card means a cloned card or a broken
-- issuing system: the SHA-256 of each certificate's SubjectPublicKeyInfo, unique, refuses it even for two issuances at once.
-- A card withdrawn before it was delivered gives its keys back (NULL), so the same card can be issued again.
-- Certificates issued before this migration carry NULL and are not checked.
ALTER TABLE certificates ADD COLUMN public_key_sha256 TEXT;
CREATE UNIQUE INDEX certificates_one_card_per_key ON certificates (public_key_sha256);
