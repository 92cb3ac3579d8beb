-- When each snapshot chunk was written: a commit removes the snapshot it replaces and the chunks of writers that
-- stopped before committing (written long ago), not those of another node writing one at the same time.
ALTER TABLE index_snapshot_chunks ADD COLUMN created_at TEXT;
