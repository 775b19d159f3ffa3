-- The one-key-per-card fingerprint is now written as every Renkei key fingerprint is (KeyFiles.PublicKeyFingerprint:
-- "sha256:" and lower-case hex), of the key's SubjectPublicKeyInfo as .NET writes it (RSA parameters NULL). A key stored
-- before from a request that left the parameters out keeps a hash no new one equals.
UPDATE certificates SET public_key_sha256 = 'sha256:' || lower(public_key_sha256) WHERE public_key_sha256 IS NOT NULL;
