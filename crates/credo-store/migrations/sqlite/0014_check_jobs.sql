-- Batch check jobs (a file of subjects checked in the background): kept in the store, not in one server's memory, so
-- that any node answers about a job and a job whose process died is closed as failed.
CREATE TABLE check_jobs (
    id             TEXT PRIMARY KEY,
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    scene          TEXT NOT NULL,
    status         TEXT NOT NULL,
    total          INTEGER NOT NULL,
    done           INTEGER NOT NULL DEFAULT 0,
    hits           INTEGER NOT NULL DEFAULT 0,
    unresolved     INTEGER NOT NULL DEFAULT 0,
    receipts       TEXT NOT NULL DEFAULT '[]',
    error          TEXT,
    worker         TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX check_jobs_running ON check_jobs(department_id, status);
