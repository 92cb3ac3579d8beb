-- 信用评价 (issue 19): each subject's grade under each evaluation scheme, a row per change (the current one has no
-- superseded_at), with its score, reasons (JSON: the records that moved it and by how much) and scheme version.
CREATE TABLE grades (
    id            INTEGER PRIMARY KEY,
    subject_id    INTEGER NOT NULL REFERENCES subjects(id),
    scheme        TEXT NOT NULL,
    version       TEXT NOT NULL,
    grade         TEXT NOT NULL,
    score         INTEGER NOT NULL,
    reasons       TEXT NOT NULL,
    moved_by      INTEGER NOT NULL,
    computed_on   TEXT NOT NULL,
    computed_at   TEXT NOT NULL,
    superseded_at TEXT
);
CREATE UNIQUE INDEX grades_current ON grades(scheme, subject_id) WHERE superseded_at IS NULL;
CREATE INDEX grades_subject ON grades(subject_id, id);

-- How far grades have followed the change feed, and the day of the last full computation (one row).
CREATE TABLE grade_state (
    id       INTEGER PRIMARY KEY,
    seq      INTEGER NOT NULL,
    full_on  TEXT
);

-- 分类监管: 双随机 draws of inspection targets (stratified by grade, reproducible from the seed) and their results.
CREATE TABLE inspection_draws (
    id                 INTEGER PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    department_id      INTEGER NOT NULL REFERENCES departments(id),
    scheme             TEXT NOT NULL,
    scope              TEXT NOT NULL,
    task               TEXT NOT NULL,
    seed               TEXT NOT NULL,
    population         INTEGER NOT NULL,
    population_digest  TEXT NOT NULL,
    strata             TEXT NOT NULL,
    actor              TEXT NOT NULL,
    drawn_at           TEXT NOT NULL
);
CREATE INDEX inspection_draws_department ON inspection_draws(department_id, id);

CREATE TABLE inspection_targets (
    draw_id     INTEGER NOT NULL REFERENCES inspection_draws(id),
    n           INTEGER NOT NULL,
    subject_id  INTEGER NOT NULL REFERENCES subjects(id),
    grade       TEXT NOT NULL,
    inspectors  TEXT NOT NULL,
    result      TEXT,
    result_on   TEXT,
    record_id   INTEGER,
    PRIMARY KEY (draw_id, n)
);
CREATE INDEX inspection_targets_subject ON inspection_targets(subject_id);
