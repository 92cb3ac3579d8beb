-- 信用动态, 政策法规 and 典型案例 (issue 21): the credit office's articles and their state (draft → submitted →
-- published or returned; published → withdrawn). Text is stored masked; a case's cited records are a JSON array.
CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL,
    body          TEXT NOT NULL,
    records       TEXT NOT NULL,
    state         TEXT NOT NULL,
    author        TEXT NOT NULL,
    reviewer      TEXT,
    note          TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    published_at  TEXT
);
CREATE INDEX articles_listed ON articles(state, kind, published_at);
