-- 主体识别的人工判断 (entity resolution by judgement, issue 18): who judged that a record, a subject or a legacy
-- code is (same), is not (different) or may be (unsure) a subject, why and when; what applying it changed (to undo
-- it); undone with who and when. A subject merged into another keeps its row, pointing to the one it was merged
-- into; its codes, records and names move there, and back when the judgement is undone.
ALTER TABLE subjects ADD COLUMN merged_into INTEGER REFERENCES subjects(id);

-- A subject's other names: 曾用名 (a registration under an earlier name), the name a record judged the same gives
-- it, the name of a subject merged into it. Names resolve records that carry no code, as the subject's own does.
CREATE TABLE subject_names (
    subject_id    INTEGER NOT NULL REFERENCES subjects(id),
    name          TEXT NOT NULL,
    name_norm     TEXT NOT NULL,
    source        TEXT NOT NULL,
    judgement_id  INTEGER,
    since         TEXT NOT NULL,
    PRIMARY KEY (subject_id, name_norm)
);
CREATE INDEX subject_names_norm ON subject_names(name_norm);

CREATE TABLE judgements (
    id             INTEGER PRIMARY KEY,
    target         TEXT NOT NULL,
    subject_id     INTEGER NOT NULL REFERENCES subjects(id),
    decision       TEXT NOT NULL,
    reason         TEXT NOT NULL,
    actor          TEXT NOT NULL,
    department_id  INTEGER,
    at             TEXT NOT NULL,
    effect         TEXT,
    undone_at      TEXT,
    undone_by      TEXT
);
CREATE INDEX judgements_target ON judgements(target, id);
CREATE INDEX judgements_subject ON judgements(subject_id, id);
