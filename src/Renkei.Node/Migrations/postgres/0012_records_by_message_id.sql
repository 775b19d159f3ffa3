-- An inquiry's message id names one inquiry for good: the core refuses an inquiry under an id its log holds, and a
-- provider's node a request under one its tenant's log holds. Both ask once a message (message_id IN (...)), which this
-- index answers; a unique index would instead fail the whole group commit, other messages' records with it.
CREATE INDEX provision_records_message_id ON provision_records (message_id);
