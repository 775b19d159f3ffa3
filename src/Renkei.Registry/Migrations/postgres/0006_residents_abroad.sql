-- The residents abroad by date of birth, for the check that a newcomer moving in from abroad is not one of them coming
-- back: their names are compared with compatibility ideographs folded (塚 U+FA10 as 塚 U+585A), which no index on the
-- stored text can do, so the candidates are found by birth. The status is written out, not bound, so that the planner
-- can use the index.
CREATE INDEX residents_abroad ON residents (date_of_birth) WHERE status = 'Abroad';
