-- 异议、信用修复、举报: one table of cases, their evidence files (sealed, with their SM3 hash) and every step
-- taken (who, when, what). A record's lifecycle outcome (repaired, revoked) is a new version of the record.
CREATE TABLE cases (
    id             INTEGER PRIMARY KEY,
    number         TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    record_id      INTEGER REFERENCES records(id),
    subject_id     INTEGER REFERENCES subjects(id),
    department_id  INTEGER REFERENCES departments(id),
    account_id     INTEGER REFERENCES accounts(id),
    applicant      TEXT,
    content        TEXT NOT NULL,
    state          TEXT NOT NULL,
    filed_at       TEXT NOT NULL,
    due_on         TEXT,
    extended_days  INTEGER NOT NULL DEFAULT 0,
    closed_at      TEXT,
    outcome        TEXT,
    outcome_reason TEXT,
    updated_at     TEXT NOT NULL
);
CREATE INDEX cases_department ON cases(department_id, closed_at);
CREATE INDEX cases_record ON cases(record_id, closed_at);
CREATE INDEX cases_account ON cases(account_id);

CREATE TABLE case_files (
    case_id  INTEGER NOT NULL REFERENCES cases(id),
    n        INTEGER NOT NULL,
    name     TEXT NOT NULL,
    sm3      TEXT NOT NULL,
    size     INTEGER NOT NULL,
    data     TEXT NOT NULL,
    PRIMARY KEY (case_id, n)
);

CREATE TABLE case_steps (
    case_id  INTEGER NOT NULL REFERENCES cases(id),
    seq      INTEGER NOT NULL,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    step     TEXT NOT NULL,
    note     TEXT,
    PRIMARY KEY (case_id, seq)
);
