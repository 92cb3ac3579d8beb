-- Credo core schema. Portable SQL (SQLite and PostgreSQL differ only in the id column type), large tables keyed
-- by subject or record so they can be distributed later.

CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    uscc        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    region      TEXT,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE TABLE api_keys (
    id             INTEGER PRIMARY KEY,
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    prefix         TEXT NOT NULL UNIQUE,
    hash           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    revoked_at     TEXT
);

-- 信用主体. `code` is the primary identifier (USCC, else ID number, else another identity document).
CREATE TABLE subjects (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    code        TEXT,
    name        TEXT NOT NULL,
    name_norm   TEXT NOT NULL,
    region      TEXT,
    status      TEXT,
    profile     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX subjects_name_norm ON subjects(name_norm);

-- Every code a subject is known by: USCC, ID number, 工商注册号, 组织机构代码, 税务登记号 …
CREATE TABLE subject_codes (
    code        TEXT PRIMARY KEY,
    subject_id  INTEGER NOT NULL REFERENCES subjects(id)
);
CREATE INDEX subject_codes_subject ON subject_codes(subject_id);

CREATE TABLE batches (
    id             INTEGER PRIMARY KEY,
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    item           TEXT NOT NULL,
    channel        TEXT NOT NULL,
    file_name      TEXT,
    received_at    TEXT NOT NULL,
    finished_at    TEXT,
    rows_total     INTEGER NOT NULL DEFAULT 0,
    accepted       INTEGER NOT NULL DEFAULT 0,
    rejected       INTEGER NOT NULL DEFAULT 0,
    duplicates     INTEGER NOT NULL DEFAULT 0,
    unresolved     INTEGER NOT NULL DEFAULT 0,
    report         TEXT
);

-- The head of each record: its identity (item + department + natural key) and a pointer to the latest version.
-- A record with no subject is in the unresolved queue.
CREATE TABLE records (
    id              INTEGER PRIMARY KEY,
    item            TEXT NOT NULL,
    department_id   INTEGER NOT NULL REFERENCES departments(id),
    natural_key     TEXT NOT NULL,
    subject_id      INTEGER REFERENCES subjects(id),
    latest_version  INTEGER NOT NULL,
    content_hash    TEXT NOT NULL,
    decided_on      TEXT,
    UNIQUE (item, department_id, natural_key)
);
CREATE INDEX records_subject ON records(subject_id);

-- Append-only: a correction, withdrawal or repair is a new version, never an update.
CREATE TABLE record_versions (
    record_id     INTEGER NOT NULL REFERENCES records(id),
    version       INTEGER NOT NULL,
    batch_id      INTEGER NOT NULL REFERENCES batches(id),
    received_at   TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    fields        TEXT NOT NULL,
    extras        TEXT,
    PRIMARY KEY (record_id, version)
);

-- The change feed: a monotonic sequence of what changed, for the indexes and later features.
CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    entity     TEXT NOT NULL,
    entity_id  INTEGER NOT NULL,
    version    INTEGER,
    at         TEXT NOT NULL
);
