-- 诚信建设示范单位 (issue 21): units' applications by year and their state (applied → notice → published, or
-- rejected; published → revoked).
CREATE TABLE honours (
    id            INTEGER PRIMARY KEY,
    year          INTEGER NOT NULL,
    subject_id    INTEGER NOT NULL REFERENCES subjects(id),
    statement     TEXT NOT NULL,
    state         TEXT NOT NULL,
    applied_by    TEXT NOT NULL,
    notice_until  TEXT,
    decided_by    TEXT,
    reason        TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX honours_listed ON honours(state, year);
CREATE INDEX honours_subject ON honours(subject_id, id);
