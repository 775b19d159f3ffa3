-- The node hosting each agency, as its TLS certificate names it (urn:renkei:node:{node_id}); the relay
-- accepts an agency's messages only from that node. Agencies registered before mutual TLS have none.
ALTER TABLE agencies ADD COLUMN node_id TEXT NULL;
