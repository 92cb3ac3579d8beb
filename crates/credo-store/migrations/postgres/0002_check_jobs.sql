-- Batch check jobs (a file of subjects checked in the background): kept in the store, not in one server's memory, so
-- that any node answers about a job and a job whose process died is closed as failed.
CREATE TABLE check_jobs (
    id             TEXT COLLATE "C" PRIMARY KEY,
    department_id  BIGINT NOT NULL REFERENCES departments(id),
    scene          TEXT COLLATE "C" NOT NULL,
    status         TEXT COLLATE "C" NOT NULL,
    total          BIGINT NOT NULL,
    done           BIGINT NOT NULL DEFAULT 0,
    hits           BIGINT NOT NULL DEFAULT 0,
    unresolved     BIGINT NOT NULL DEFAULT 0,
    receipts       TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    error          TEXT COLLATE "C",
    worker         TEXT COLLATE "C" NOT NULL,
    created_at     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX check_jobs_running ON check_jobs(department_id, status);
