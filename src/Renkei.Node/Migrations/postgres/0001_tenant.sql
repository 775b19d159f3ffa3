-- One tenant's database: the agency's addressee numbers and its codes for them; never the
-- Individual Number or the basic four items.
CREATE TABLE addressees (
    addressee_number TEXT PRIMARY KEY,
    agency_code TEXT NULL UNIQUE,
    code_issued_at TEXT NULL,
    created_at TEXT NOT NULL
);

-- 取得番号: joins one code issuance to the addressee it was asked for; deleted when the code arrives.
CREATE TABLE acquisitions (
    acquisition_number TEXT PRIMARY KEY,
    addressee_number TEXT NOT NULL REFERENCES addressees (addressee_number),
    requested_at TEXT NOT NULL
);
