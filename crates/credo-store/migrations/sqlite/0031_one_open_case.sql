-- One open case per key where a kind allows one at a time (an objection or a repair per record, a 政务失信投诉 per
-- enterprise account and body): two filings at once cannot both pass the filing's own check. Cases filed before
-- this have no key.
ALTER TABLE cases ADD COLUMN open_key TEXT;
CREATE UNIQUE INDEX cases_one_open ON cases(kind, open_key) WHERE closed_at IS NULL AND open_key IS NOT NULL;
