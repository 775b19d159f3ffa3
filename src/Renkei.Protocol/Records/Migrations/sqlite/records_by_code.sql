-- The core (its migration 0008) and the nodes (0009) apply this same file: each project embeds it under its own number.
-- A person's records are read a page at a time (WHERE code IN (...) AND seq > @after ORDER BY seq LIMIT @n): with seq
-- beside the code the index finds where the page starts and reads it in log order, where one on the code alone read
-- every record of the person and sorted them. It serves lookups by code alone as well, so that one goes.
CREATE INDEX provision_records_code_seq ON provision_records (code, seq);
DROP INDEX provision_records_code;
