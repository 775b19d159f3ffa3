-- The head (世帯主) of each household, found when a member joins or moves within it as its head (a second head is
-- refused) and when a head-change (世帯主変更) names a new one. The relationship is written out, not bound, so that the
-- planner can use the index.
CREATE INDEX residents_heads ON residents (household_id) WHERE relationship = '世帯主';
