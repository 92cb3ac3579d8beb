-- The restriction index reads the records of a few items in id order.
CREATE INDEX records_item ON records(item, id);
