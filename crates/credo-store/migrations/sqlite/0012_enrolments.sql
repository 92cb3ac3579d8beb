-- 账号申请: an enterprise or a person applies online for an account bound to its subject (code, name, legal
-- representative or ID number, contact — sealed — and uploaded 营业执照 / ID and authorisation letter, sealed with
-- their SM3 hash); the security administrator approves (the account is opened and bound) or refuses with a reason.
CREATE TABLE enrolments (
    id          INTEGER PRIMARY KEY,
    number      TEXT NOT NULL UNIQUE,
    subject_id  INTEGER REFERENCES subjects(id),
    applicant   TEXT NOT NULL,
    state       TEXT NOT NULL,
    filed_at    TEXT NOT NULL,
    decided_at  TEXT,
    decided_by  TEXT,
    reason      TEXT,
    account_id  INTEGER REFERENCES accounts(id)
);
CREATE INDEX enrolments_state ON enrolments(state, id);

CREATE TABLE enrolment_files (
    enrolment_id  INTEGER NOT NULL REFERENCES enrolments(id),
    n             INTEGER NOT NULL,
    name          TEXT NOT NULL,
    sm3           TEXT NOT NULL,
    size          INTEGER NOT NULL,
    data          TEXT NOT NULL,
    PRIMARY KEY (enrolment_id, n)
);

-- One-time links (setting the first password, a reset): only the token's SM3 hash is kept; a token is taken once,
-- before it expires.
CREATE TABLE account_tokens (
    token_hash  TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    purpose     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
