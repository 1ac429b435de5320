-- Evaluating nodes keep a catalog of every environment so they can tell "no such environment"
-- (404) from "this token belongs to another environment" (403) without asking the database:
-- creating an environment is now a change event too. clock_timestamp() (not now(), the
-- transaction start) lets nodes measure deploy-to-serve propagation from close to the commit.
ALTER TABLE change_events DROP CONSTRAINT change_events_kind_check;
ALTER TABLE change_events ADD CONSTRAINT change_events_kind_check
  CHECK (kind IN ('deployment', 'evaluation-token', 'environment'));
ALTER TABLE change_events ALTER COLUMN created_at SET DEFAULT clock_timestamp();
