-- Lenders are named by the `lending` permission from now on: a department that had published a credit product is one.
UPDATE departments SET permissions = json_set(permissions, '$.lending', json('true'))
 WHERE id IN (SELECT department_id FROM credit_products);
