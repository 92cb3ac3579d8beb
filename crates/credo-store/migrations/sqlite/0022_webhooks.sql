-- 订阅推送 (issue 20): departments' webhook subscriptions (the signing key sealed; the change-feed sequence followed
-- to) and the deliveries made for them, one per event and subscription (the idempotency key unique).
CREATE TABLE webhooks (
    id            INTEGER PRIMARY KEY,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    url           TEXT NOT NULL,
    items         TEXT NOT NULL,
    subjects      TEXT NOT NULL,
    checks        INTEGER NOT NULL,
    secret        TEXT NOT NULL,
    followed_to   INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    ended_at      TEXT
);
CREATE INDEX webhooks_department ON webhooks(department_id, id);

CREATE TABLE webhook_deliveries (
    id            INTEGER PRIMARY KEY,
    webhook_id    INTEGER NOT NULL REFERENCES webhooks(id),
    key           TEXT NOT NULL,
    kind          TEXT NOT NULL,
    body          TEXT NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    next_at       TEXT,
    last_status   INTEGER,
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    delivered_at  TEXT,
    UNIQUE (webhook_id, key)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_at) WHERE state IN ('pending', 'failed');
CREATE INDEX webhook_deliveries_of ON webhook_deliveries(webhook_id, id);
