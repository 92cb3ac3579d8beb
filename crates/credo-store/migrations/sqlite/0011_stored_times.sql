-- Times compared or ordered in SQL (a record version's receipt, a check's time, the end of a sign-in lock) are
-- compared as text, which orders instants only when every text has the same form. The store now writes every time
-- as UTC RFC 3339 with all nine digits of the second's fraction (`2030-01-01T00:00:00.500000000Z`); before, the
-- fraction's trailing zeros were left out (`…:00.5Z`, `…:00Z`, which sorts after `…:00.1Z`) and locks were kept in
-- whole seconds. This brings those stored texts (all UTC, ending in `Z`) to the new form; the audit chain's times are
-- left as they are (its hashes cover them), and other times are only read back, which works in either form.
UPDATE record_versions
SET received_at = substr(received_at, 1, 19) || '.'
    || substr(CASE WHEN substr(received_at, 20, 1) = '.' THEN substr(received_at, 21, length(received_at) - 21) ELSE '' END
              || '000000000', 1, 9)
    || 'Z'
WHERE received_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
  AND length(received_at) <> 30;

UPDATE checks
SET created_at = substr(created_at, 1, 19) || '.'
    || substr(CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(created_at, 21, length(created_at) - 21) ELSE '' END
              || '000000000', 1, 9)
    || 'Z'
WHERE created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
  AND length(created_at) <> 30;

UPDATE accounts
SET locked_until = substr(locked_until, 1, 19) || '.'
    || substr(CASE WHEN substr(locked_until, 20, 1) = '.' THEN substr(locked_until, 21, length(locked_until) - 21) ELSE '' END
              || '000000000', 1, 9)
    || 'Z'
WHERE locked_until GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
  AND length(locked_until) <> 30;
