-- The Registry feed position the holder's items were read at, per card and certificate: an event at a later
-- position makes them untrue, whatever the two services' clocks say. NULL for what was issued before.
ALTER TABLE cards ADD COLUMN registry_position INTEGER;
ALTER TABLE certificates ADD COLUMN registry_position INTEGER;
