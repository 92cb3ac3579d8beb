-- 政务诚信 and credit service agencies (issue 22): government bodies' commitments (政务承诺) with their due days;
-- the registry of credit service agencies (备案, staff, evaluations); API keys with a purpose and a daily quota, and
-- the count of each key's calls per day.
CREATE TABLE gov_commitments (
    id             INTEGER PRIMARY KEY,
    body_code      TEXT NOT NULL,
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    kind           TEXT NOT NULL,
    content        TEXT NOT NULL,
    due_on         TEXT NOT NULL,
    state          TEXT NOT NULL,
    settled_on     TEXT,
    note           TEXT,
    created_by     TEXT NOT NULL,
    settled_by     TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX gov_commitments_body ON gov_commitments(body_code, id);
CREATE INDEX gov_commitments_open ON gov_commitments(state, due_on);

CREATE TABLE agencies (
    id             INTEGER PRIMARY KEY,
    uscc           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    filing_no      TEXT NOT NULL UNIQUE,
    filed_on       TEXT NOT NULL,
    scopes         TEXT NOT NULL,
    department_id  INTEGER REFERENCES departments(id),
    state          TEXT NOT NULL,
    staff          TEXT NOT NULL,
    evaluations    TEXT NOT NULL,
    version        INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

ALTER TABLE api_keys ADD COLUMN purpose TEXT;
ALTER TABLE api_keys ADD COLUMN daily_quota INTEGER;
CREATE TABLE key_usage (
    key_id  INTEGER NOT NULL REFERENCES api_keys(id),
    day     TEXT NOT NULL,
    used    INTEGER NOT NULL,
    PRIMARY KEY (key_id, day)
);
