-- Corporate numbers (法人番号) as the National Tax Agency publishes them: every change is a new
-- record of the corporation; `latest` = 1 marks the newest. Dates are yyyy-MM-dd text.
-- Text compared by range (prefix search) uses the "C" collation so that ranges follow code points.
CREATE TABLE corporation_records (
    record_id BIGSERIAL PRIMARY KEY,  -- the order records were written; answers number them afresh (sequenceNumber)
    corporate_number TEXT NOT NULL,
    version INTEGER NOT NULL,                     -- 1 for the first record of a corporation, then 2, 3 …
    process TEXT NOT NULL,                        -- 01 new, 11, 12, 13, 21, 22, 71, 72, 81, 99
    correct TEXT NOT NULL,                        -- 0 not a correction, 1 a correction
    update_date TEXT NOT NULL,
    change_date TEXT NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    name_image_id TEXT NOT NULL,
    kind TEXT NOT NULL,                           -- 101, 201, 301 … 499
    prefecture_name TEXT NOT NULL,
    city_name TEXT NOT NULL,
    street_number TEXT NOT NULL,
    address_image_id TEXT NOT NULL,
    prefecture_code TEXT NOT NULL,
    city_code TEXT NOT NULL,
    post_code TEXT NOT NULL,
    address_outside TEXT NOT NULL,
    address_outside_image_id TEXT NOT NULL,
    close_date TEXT NOT NULL,
    close_cause TEXT NOT NULL,
    successor_corporate_number TEXT NOT NULL,
    change_cause TEXT NOT NULL,
    assignment_date TEXT NOT NULL,
    latest INTEGER NOT NULL,
    en_name TEXT NOT NULL,
    en_prefecture_name TEXT NOT NULL,
    en_city_name TEXT NOT NULL,
    en_address_outside TEXT NOT NULL,
    furigana TEXT NOT NULL,
    hihyoji INTEGER NOT NULL,                     -- 1: left out of name search
    name_key TEXT COLLATE "C" NOT NULL,                       -- folded name for fuzzy search (target 1)
    furigana_key TEXT COLLATE "C" NOT NULL,
    en_key TEXT COLLATE "C" NOT NULL,                         -- folded English name (target 3)
    recorded_at TEXT NOT NULL,
    UNIQUE (corporate_number, version)
);
CREATE UNIQUE INDEX corporation_records_latest ON corporation_records (corporate_number) WHERE latest = 1;
CREATE INDEX corporation_records_by_name ON corporation_records (name);
CREATE INDEX corporation_records_by_name_key ON corporation_records (name_key);
CREATE INDEX corporation_records_by_furigana_key ON corporation_records (furigana_key);
CREATE INDEX corporation_records_by_en_key ON corporation_records (en_key);
CREATE INDEX corporation_records_by_place ON corporation_records (prefecture_code, city_code);
CREATE INDEX corporation_records_by_update ON corporation_records (update_date, record_id);
CREATE INDEX corporation_records_by_change ON corporation_records (change_date);
CREATE INDEX corporation_records_by_assignment ON corporation_records (assignment_date);

-- Two-character pieces of each record's folded names: a portable index for partial-match search.
CREATE TABLE corporation_name_grams (
    gram TEXT COLLATE "C" NOT NULL,
    record_id BIGINT NOT NULL REFERENCES corporation_records(record_id),
    PRIMARY KEY (gram, record_id)
);

-- The last serial given under each six-digit base prefix, so that assigned numbers never repeat.
CREATE TABLE corporate_number_series (
    prefix TEXT PRIMARY KEY,
    last_serial INTEGER NOT NULL
);
