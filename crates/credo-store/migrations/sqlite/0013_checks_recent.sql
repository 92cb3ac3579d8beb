-- A department's newest checks, for its check history page.
CREATE INDEX checks_recent ON checks(department_id, created_at);
