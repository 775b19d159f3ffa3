-- Each revocation takes the next value of this one-row counter in its own transaction and writes it on the certificate, so
-- several PKI processes on one database learn of each other's revocations by reading the certificates revoked past the
-- last value they saw, and a CRL's number follows what it lists. The row lock orders the values as the commits.
CREATE TABLE revocation_counter (
    id INTEGER PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO revocation_counter (id, value) VALUES (1, 0);
ALTER TABLE certificates ADD COLUMN revocation_sequence BIGINT;
CREATE INDEX certificates_revocation_sequence ON certificates (revocation_sequence);
