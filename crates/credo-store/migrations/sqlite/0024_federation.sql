-- City → province federation (issue 20), on the province: each city feed's place, and the record each city record
-- became.
CREATE TABLE federation_cursors (
    city       TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE federated_records (
    city      TEXT NOT NULL,
    remote_id INTEGER NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (city, remote_id)
);
CREATE INDEX federated_records_record ON federated_records(record_id);
