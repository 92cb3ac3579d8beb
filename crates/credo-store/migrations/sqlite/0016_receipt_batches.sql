-- Receipts are signed in batches: one SM2 signature over the SM3 Merkle root of the receipts signed together; each
-- check keeps its inclusion proof (JSON: scheme, size, index, path, root). NULL for receipts signed one by one.
ALTER TABLE checks ADD COLUMN proof TEXT;
