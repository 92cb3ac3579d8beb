-- 融资对接 (issue 21): lenders' credit products and subjects' applications for them, each with the authorisation it
-- gives the lender to read the applicant's archive. Amounts in whole 元.
CREATE TABLE credit_products (
    id            INTEGER PRIMARY KEY,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    kinds         TEXT NOT NULL,
    scheme        TEXT NOT NULL,
    grades        TEXT NOT NULL,
    regions       TEXT NOT NULL,
    min_amount    INTEGER NOT NULL,
    max_amount    INTEGER NOT NULL,
    term_months   INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    closed_at     TEXT
);
CREATE INDEX credit_products_department ON credit_products(department_id, id);

CREATE TABLE loan_applications (
    id               INTEGER PRIMARY KEY,
    product_id       INTEGER NOT NULL REFERENCES credit_products(id),
    department_id    INTEGER NOT NULL REFERENCES departments(id),
    subject_id       INTEGER NOT NULL REFERENCES subjects(id),
    amount           INTEGER NOT NULL,
    purpose          TEXT NOT NULL,
    state            TEXT NOT NULL,
    authorisation_id INTEGER NOT NULL REFERENCES report_authorisations(id),
    granted_amount   INTEGER,
    reason           TEXT,
    decided_by       TEXT,
    applied_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    decided_at       TEXT
);
CREATE INDEX loan_applications_department ON loan_applications(department_id, id);
CREATE INDEX loan_applications_subject ON loan_applications(subject_id, id);
