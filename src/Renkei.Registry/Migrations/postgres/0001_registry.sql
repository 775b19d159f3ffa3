-- Municipal registers, the numbering authority's numbers and the immutable event log.
-- Times are UTC ISO-8601 text; dates of birth are yyyy-MM-dd text (the same SQL serves SQLite).
CREATE TABLE municipalities (
    code TEXT PRIMARY KEY,
    prefecture TEXT NOT NULL,
    name TEXT NOT NULL,
    name_kana TEXT NOT NULL
);

CREATE TABLE households (
    household_id TEXT PRIMARY KEY,
    municipality_code TEXT NOT NULL REFERENCES municipalities(code),
    address TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE residents (
    resident_id TEXT PRIMARY KEY,
    resident_record_code TEXT NOT NULL UNIQUE,
    municipality_code TEXT NOT NULL REFERENCES municipalities(code),
    household_id TEXT REFERENCES households(household_id),
    relationship TEXT NOT NULL,
    status TEXT NOT NULL,
    moving_to TEXT,
    family_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name_kana TEXT NOT NULL,
    given_name_kana TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    sex TEXT NOT NULL,
    address TEXT NOT NULL,
    last_position BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX residents_by_name ON residents (family_name, given_name, date_of_birth);
CREATE INDEX residents_by_municipality ON residents (municipality_code);

CREATE TABLE resident_record_codes (
    code TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES residents(resident_id) DEFERRABLE INITIALLY DEFERRED,
    assigned_at TEXT NOT NULL,
    replaced_at TEXT
);

CREATE TABLE individual_numbers (
    number TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES residents(resident_id) DEFERRABLE INITIALLY DEFERRED,
    reissue_count INTEGER NOT NULL,
    designated_at TEXT NOT NULL,
    superseded_at TEXT,
    reason TEXT
);
CREATE UNIQUE INDEX individual_numbers_current ON individual_numbers (resident_id) WHERE superseded_at IS NULL;

CREATE TABLE resident_events (
    position BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    resident_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    changed_items TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX resident_events_by_resident ON resident_events (resident_id, position);

CREATE FUNCTION resident_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'resident events are immutable'; END $$;
CREATE TRIGGER resident_events_no_change BEFORE UPDATE OR DELETE ON resident_events
FOR EACH ROW EXECUTE FUNCTION resident_events_immutable();
