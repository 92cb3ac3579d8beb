-- City → province federation (issue 20), on the province: each city feed's place, and the record each city record
-- became.
CREATE TABLE federation_cursors (
    city       TEXT COLLATE "C" PRIMARY KEY,
    seq        BIGINT NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE federated_records (
    city      TEXT COLLATE "C" NOT NULL,
    remote_id BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    PRIMARY KEY (city, remote_id)
);
CREATE INDEX federated_records_record ON federated_records(record_id);
