-- 联合奖惩核查: every check is kept with its signed receipt; each checked subject has a result line, and the
-- department's feedback (反馈) on it.
CREATE TABLE checks (
    id             TEXT PRIMARY KEY,
    department_id  INTEGER REFERENCES departments(id),
    scene          TEXT NOT NULL,
    receipt        TEXT NOT NULL,
    signature      TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX checks_department ON checks(department_id, scene);

CREATE TABLE check_results (
    check_id    TEXT NOT NULL REFERENCES checks(id),
    position    INTEGER NOT NULL,
    subject_id  INTEGER,
    decision    TEXT,
    PRIMARY KEY (check_id, position)
);

CREATE TABLE check_feedback (
    check_id  TEXT NOT NULL,
    position  INTEGER NOT NULL,
    action    TEXT NOT NULL,
    reason    TEXT,
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (check_id, position),
    FOREIGN KEY (check_id, position) REFERENCES check_results(check_id, position)
);
