-- A department's newest checks, for its check history page.
CREATE INDEX checks_recent ON checks(department_id, created_at);
-- The auditors' search by who and by what, newest first.
CREATE INDEX audit_actor ON audit_events(actor, seq);
CREATE INDEX audit_action ON audit_events(action, seq);
-- A subject's access log (who looked at it and why) read its events by scanning the whole trail.
CREATE INDEX audit_target ON audit_events(target, seq);
