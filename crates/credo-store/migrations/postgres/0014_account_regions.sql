-- 区县管理员 (issue 20), as SQLite's 0025_account_regions: an operator account limited to one district of the city;
-- NULL for the whole city.
ALTER TABLE accounts ADD COLUMN region TEXT COLLATE "C";
