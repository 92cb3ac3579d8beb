-- 信息共享确认 (issue 20): each department that reads the change feed (the provincial platform, a department's
-- system), how far it has acknowledged it (a read from after = N acknowledges up to N), and how many record entries
-- it acknowledged after their deadline.
CREATE TABLE feed_consumers (
    department_id BIGINT PRIMARY KEY REFERENCES departments(id),
    acked_seq     BIGINT NOT NULL,
    acked_at      TEXT COLLATE "C",
    read_at       TEXT COLLATE "C" NOT NULL,
    late          BIGINT NOT NULL
);
