-- 信用报告: every report issued (number, SM3 of its check code, kind, subject, the day it shows, who asked, the
-- summary the verification page shows, SM3 of the PDF and of the signed report.json; revoked with a reason), and the
-- yearly count of each subject's reports per channel (public, own, authorised), against its quota.
CREATE TABLE issued_reports (
    number          TEXT PRIMARY KEY,
    check_hash      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    subject_id      INTEGER NOT NULL REFERENCES subjects(id),
    as_of           TEXT NOT NULL,
    issued_at       TEXT NOT NULL,
    channel         TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    summary         TEXT NOT NULL,
    pdf_sm3         TEXT NOT NULL,
    json_sm3        TEXT NOT NULL,
    revoked_at      TEXT,
    revoked_reason  TEXT
);
CREATE INDEX issued_reports_subject ON issued_reports(subject_id, issued_at);

CREATE TABLE report_quota (
    subject_id  INTEGER NOT NULL REFERENCES subjects(id),
    channel     TEXT NOT NULL,
    year        INTEGER NOT NULL,
    used        INTEGER NOT NULL,
    PRIMARY KEY (subject_id, channel, year)
);

-- 授权查询: a subject's authorisation for one department to obtain its credit report, for a purpose, until a day
-- (granted and revoked by the subject's account).
CREATE TABLE report_authorisations (
    id             INTEGER PRIMARY KEY,
    subject_id     INTEGER NOT NULL REFERENCES subjects(id),
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    purpose        TEXT NOT NULL,
    granted_by     TEXT NOT NULL,
    granted_at     TEXT NOT NULL,
    expires_on     TEXT NOT NULL,
    revoked_at     TEXT
);
CREATE INDEX report_authorisations_subject ON report_authorisations(subject_id, department_id);
