-- 区县管理员 (issue 20): an operator account limited to one district of the city (its departments and their
-- accounts, their cases); NULL for the whole city.
ALTER TABLE accounts ADD COLUMN region TEXT;
