-- The pending acquisitions of one addressee: an addressee row that got no code and holds no copies is removed once none is
-- left, and deleting an addressee row checks this table's reference to it.
CREATE INDEX acquisitions_by_addressee ON acquisitions (addressee_number);
