-- State the nodes share for a short while (one-time tokens used, sign-ins on their way, counts per client):
-- see src/shared.rs.
CREATE TABLE shared_state (
    scope      TEXT COLLATE "C" NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    value      TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX shared_state_expiry ON shared_state(scope, expires_at);
