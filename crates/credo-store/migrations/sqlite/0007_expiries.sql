-- 公示期满: the daily job records each record whose publicity period ended, once, and puts it in the change feed
-- (entity `expiry`) for downstream systems. Public views do not need it: they compute the state at request time.
CREATE TABLE publicity_expiries (
    record_id    INTEGER PRIMARY KEY REFERENCES records(id),
    version      INTEGER NOT NULL,
    last_day     TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
