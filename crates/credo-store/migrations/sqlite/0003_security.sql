-- Accounts, sessions, permissions and audit checkpoints (issue 3).

-- What a department may do: submit which catalog items, use which check scenes, read which disclosure levels.
ALTER TABLE departments ADD COLUMN permissions TEXT NOT NULL DEFAULT '{"items":[],"scenes":[],"disclosure":["公开"]}';

-- Keys carry their own scopes (submit, check …) and may expire.
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT '["submit"]';
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
ALTER TABLE api_keys ADD COLUMN created_by TEXT;

-- Operators, department users and subject accounts.
CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    department_id   INTEGER REFERENCES departments(id),
    subject_id      INTEGER REFERENCES subjects(id),
    password_hash   TEXT NOT NULL,
    -- SM4-sealed TOTP secret (base32), if the second factor is set up.
    totp_secret     TEXT,
    totp_last_step  INTEGER,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    disabled_at     TEXT,
    password_set_at TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL
);

-- Sessions: only the SM3 hash of the random token is stored.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    created_at  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    client      TEXT
);
CREATE INDEX sessions_account ON sessions(account_id);

-- SM2-signed checkpoints of the audit chain: the platform's signature over (seq, hash) of an event, so that a
-- rewritten chain (every hash recomputed) is still detected.
CREATE TABLE audit_checkpoints (
    seq         INTEGER PRIMARY KEY,
    hash        TEXT NOT NULL,
    at          TEXT NOT NULL,
    signature   TEXT NOT NULL,
    public_key  TEXT NOT NULL
);

-- Events moved to an archive file keep the chain: the live table continues from this base.
ALTER TABLE audit_head ADD COLUMN base_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN base_hash TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000';
