-- Which natural-key definition each item's stored keys were built with (the catalog's `natural_key`, as JSON). When
-- the catalog changes it (a 文书号 is unique only within its authority, so the key now holds both), the store
-- re-keys that item's records from their versions' fields and records the new definition here, in one transaction.
CREATE TABLE item_keys (
    item        TEXT PRIMARY KEY,
    key_fields  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- What a change-feed entry says beyond entity and id (JSON): for a re-keyed record, its old and new key and the
-- records its versions moved to.
ALTER TABLE changes ADD COLUMN detail TEXT;
