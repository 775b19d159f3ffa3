-- Municipal registers, the numbering authority's numbers and the immutable event log.
-- Times are UTC ISO-8601 text; dates of birth are yyyy-MM-dd text.
CREATE TABLE municipalities (
    code TEXT PRIMARY KEY,              -- LocalGovernmentCode, 6 digits
    prefecture TEXT NOT NULL,
    name TEXT NOT NULL,
    name_kana TEXT NOT NULL
);

CREATE TABLE households (
    household_id TEXT PRIMARY KEY,      -- opaque, random
    municipality_code TEXT NOT NULL REFERENCES municipalities(code),
    address TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The current record of each resident, derived from resident_events and updated in the same
-- transaction as the event that changes it.
CREATE TABLE residents (
    resident_id TEXT PRIMARY KEY,       -- opaque, random; what events and other services name
    resident_record_code TEXT NOT NULL UNIQUE,
    municipality_code TEXT NOT NULL REFERENCES municipalities(code),
    household_id TEXT REFERENCES households(household_id),
    relationship TEXT NOT NULL,         -- 世帯主, 妻, 子 …
    status TEXT NOT NULL,               -- resident, moved-out, abroad, deceased
    moving_to TEXT,                     -- destination municipality while moved-out
    family_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name_kana TEXT NOT NULL,
    given_name_kana TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    sex TEXT NOT NULL,                  -- male, female
    address TEXT NOT NULL,
    last_position INTEGER NOT NULL,     -- the last event applied
    updated_at TEXT NOT NULL
);
CREATE INDEX residents_by_name ON residents (family_name, given_name, date_of_birth);
CREATE INDEX residents_by_municipality ON residents (municipality_code);

-- Every code ever assigned: a code is never given again, even after a change on request.
CREATE TABLE resident_record_codes (
    code TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES residents(resident_id) DEFERRABLE INITIALLY DEFERRED,
    assigned_at TEXT NOT NULL,
    replaced_at TEXT
);

-- Every Individual Number ever designated; at most one current per resident.
CREATE TABLE individual_numbers (
    number TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES residents(resident_id) DEFERRABLE INITIALLY DEFERRED,
    reissue_count INTEGER NOT NULL,     -- the FF1 tweak: 0 at designation
    designated_at TEXT NOT NULL,
    superseded_at TEXT,
    reason TEXT
);
CREATE UNIQUE INDEX individual_numbers_current ON individual_numbers (resident_id) WHERE superseded_at IS NULL;

-- The immutable log and the outbox other services read: position is the resumable cursor.
CREATE TABLE resident_events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    resident_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    changed_items TEXT NOT NULL,        -- comma-separated: name, address, status, number …
    data TEXT NOT NULL                  -- the event as recorded (JSON); never leaves the registry
);
CREATE INDEX resident_events_by_resident ON resident_events (resident_id, position);

CREATE TRIGGER resident_events_no_update BEFORE UPDATE ON resident_events
BEGIN SELECT RAISE(ABORT, 'resident events are immutable'); END;
CREATE TRIGGER resident_events_no_delete BEFORE DELETE ON resident_events
BEGIN SELECT RAISE(ABORT, 'resident events are immutable'); END;
