-- A draft's revision, counted up by every edit: a reviewer publishes the revision read, not one edited since.
ALTER TABLE articles ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
