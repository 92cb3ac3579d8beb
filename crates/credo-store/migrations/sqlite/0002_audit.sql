-- 审计日志: every write and every non-public read, hash-chained with SM3 (each event carries the previous hash).
CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    department  TEXT,
    action      TEXT NOT NULL,
    target      TEXT,
    purpose     TEXT,
    result      TEXT NOT NULL,
    client      TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);

-- The chain's head, one row: appending takes this row's write lock first, so concurrent writers (the server and a
-- CLI) never both chain onto the same event.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
