-- 副本: copies of specific personal information in the data standard layout, keyed by addressee number.
CREATE TABLE copies (
    addressee_number TEXT NOT NULL REFERENCES addressees (addressee_number),
    item TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    content TEXT NOT NULL,
    withheld INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (addressee_number, item)
);
