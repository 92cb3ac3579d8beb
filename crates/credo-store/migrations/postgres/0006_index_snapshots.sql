-- Snapshots of what a node builds in memory from the records (the checks' restriction index), so that the next
-- start reads compact chunks instead of decoding every record: written in chunks under a new generation, then made
-- current in one step (the other generations' chunks are removed then). A node uses a snapshot only when its
-- fingerprint (format, catalog, keys, program) is its own, and replays the change feed after its sequence number.
CREATE TABLE index_snapshots (
    kind TEXT PRIMARY KEY,
    generation BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    seq BIGINT NOT NULL,
    chunks BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE index_snapshot_chunks (
    generation BIGINT NOT NULL,
    no BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (generation, no)
);
