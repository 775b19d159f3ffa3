-- A batch person's claim: the worker commits the message id it will ask under (message_id) and when (asked_at) before the
-- inquiry is sent. A claim still without an outcome when no worker holds it is a person who may have been asked and whose
-- answer was not saved: the worker records that, and does not ask again blindly.
ALTER TABLE inquiry_batch_items ADD COLUMN asked_at TEXT NULL;
