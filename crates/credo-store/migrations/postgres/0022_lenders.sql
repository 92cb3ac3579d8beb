-- Lenders are named by the `lending` permission from now on: a department that had published a credit product is one.
UPDATE departments SET permissions = (permissions::jsonb || '{"lending": true}'::jsonb)::text
 WHERE id IN (SELECT department_id FROM credit_products);
