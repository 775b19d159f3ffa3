-- An immediate inquiry, written ahead just before its relay message leaves: the core and the provider record it as soon as
-- it is relayed, so a hard stop or a full disk before the requester's own record would otherwise leave no trace here that
-- it was asked. A row whose record (requester = the tenant, same message id, code and requested_at = asked_at) exists is
-- removed later; one without is recorded error/answer-not-saved (PendingInquiries). Batch inquiries have their claims instead.
CREATE TABLE pending_inquiries (
    message_id TEXT PRIMARY KEY,
    asked_at TEXT NOT NULL,
    code TEXT NOT NULL,
    affair TEXT NOT NULL,
    provider TEXT NOT NULL,
    item TEXT NOT NULL
);
CREATE INDEX pending_inquiries_asked_at ON pending_inquiries (asked_at);
