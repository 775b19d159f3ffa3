-- The Idempotency-Key of an event request with the answer it got: the same request again under its key (a client
-- retrying after a timeout) gets that answer instead of a second event. Kept a day. The receipt is kept without the
-- Individual Number; an answer given again carries the person's current one.
CREATE TABLE idempotency_keys (
    municipality_code TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    receipt TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, idempotency_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
