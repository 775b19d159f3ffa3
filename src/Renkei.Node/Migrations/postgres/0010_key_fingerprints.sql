-- The fingerprint of each key file this database was first used with (KeyFiles.BindAsync): the SHA-256 of a key pair's
-- public key, or for a secret an HMAC-SHA256 of a fixed label under it. Never the key itself, nor a plain hash of a secret.
-- A start whose key file has another fingerprint is refused, so a lost key is not replaced by a new one without a word.
CREATE TABLE key_fingerprints (
    name TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
