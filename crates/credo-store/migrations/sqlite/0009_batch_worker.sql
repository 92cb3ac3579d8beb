-- Which process handles a batch (`pid:start-time` on this host), so that a batch whose process died before it
-- finished is found and closed as interrupted with the rows it committed.
ALTER TABLE batches ADD COLUMN worker TEXT;
ALTER TABLE batches ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
