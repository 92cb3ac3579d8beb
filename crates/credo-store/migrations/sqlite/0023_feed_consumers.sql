-- 信息共享确认 (issue 20): each department that reads the change feed (the provincial platform, a department's
-- system), how far it has acknowledged it (a read from after = N acknowledges up to N), and how many record entries
-- it acknowledged after their deadline.
CREATE TABLE feed_consumers (
    department_id INTEGER PRIMARY KEY REFERENCES departments(id),
    acked_seq     INTEGER NOT NULL,
    acked_at      TEXT,
    read_at       TEXT NOT NULL,
    late          INTEGER NOT NULL
);
