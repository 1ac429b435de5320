-- Verdict core schema: projects, decisions and their versions, releases, environments,
-- deployments, the change counter, evaluation tokens, API tokens and the audit log.
-- History tables are append-only: a trigger refuses UPDATE and DELETE on them.

CREATE FUNCTION verdict_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TABLE projects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key text NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL
);

CREATE TABLE decisions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES projects (id),
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  -- Denormalised pointer to the newest version so "current decisions" needs no scan of history.
  latest_version integer NOT NULL CHECK (latest_version >= 1),
  deleted boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, key)
);

CREATE TABLE decision_versions (
  decision_id uuid NOT NULL REFERENCES decisions (id),
  version integer NOT NULL CHECK (version >= 1),
  tombstone boolean NOT NULL DEFAULT false,
  content jsonb,
  content_hash text CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  author text NOT NULL,
  message text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (decision_id, version),
  CHECK ((tombstone AND content IS NULL AND content_hash IS NULL)
      OR (NOT tombstone AND content IS NOT NULL AND content_hash IS NOT NULL))
);
CREATE TRIGGER decision_versions_append_only BEFORE UPDATE OR DELETE ON decision_versions
  FOR EACH ROW EXECUTE FUNCTION verdict_refuse_change();

CREATE TABLE releases (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES projects (id),
  seq integer NOT NULL CHECK (seq >= 1),
  label text NOT NULL CHECK (label ~ '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$'),
  content_hash text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  notes text NOT NULL DEFAULT '',
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, seq),
  UNIQUE (project_id, label),
  UNIQUE (project_id, id)
);
CREATE TRIGGER releases_append_only BEFORE UPDATE OR DELETE ON releases
  FOR EACH ROW EXECUTE FUNCTION verdict_refuse_change();

CREATE TABLE release_decisions (
  release_id uuid NOT NULL REFERENCES releases (id),
  key text NOT NULL,
  decision_id uuid NOT NULL,
  version integer NOT NULL,
  content_hash text NOT NULL,
  PRIMARY KEY (release_id, key),
  FOREIGN KEY (decision_id, version) REFERENCES decision_versions (decision_id, version)
);
CREATE TRIGGER release_decisions_append_only BEFORE UPDATE OR DELETE ON release_decisions
  FOR EACH ROW EXECUTE FUNCTION verdict_refuse_change();

CREATE TABLE environments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES projects (id),
  key text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, key),
  UNIQUE (project_id, id)
);

-- One row, bumped inside every transaction that changes what nodes serve. Updating a row (not a
-- sequence) serialises those transactions, so a poller never sees N+1 committed before N.
CREATE TABLE change_counter (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  value bigint NOT NULL
);
INSERT INTO change_counter (singleton, value) VALUES (true, 0);

CREATE TABLE change_events (
  seq bigint PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('deployment', 'evaluation-token')),
  project_id uuid NOT NULL REFERENCES projects (id),
  environment_id uuid NOT NULL REFERENCES environments (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER change_events_append_only BEFORE UPDATE OR DELETE ON change_events
  FOR EACH ROW EXECUTE FUNCTION verdict_refuse_change();

CREATE TABLE deployments (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id uuid NOT NULL,
  environment_id uuid NOT NULL,
  release_id uuid NOT NULL,
  previous_release_id uuid,
  kind text NOT NULL CHECK (kind IN ('deploy', 'rollback')),
  change_seq bigint NOT NULL REFERENCES change_events (seq),
  deployed_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- The release and the environment must belong to the same project.
  FOREIGN KEY (project_id, environment_id) REFERENCES environments (project_id, id),
  FOREIGN KEY (project_id, release_id) REFERENCES releases (project_id, id)
);
CREATE INDEX deployments_by_environment ON deployments (environment_id, id DESC);
CREATE TRIGGER deployments_append_only BEFORE UPDATE OR DELETE ON deployments
  FOR EACH ROW EXECUTE FUNCTION verdict_refuse_change();

CREATE TABLE evaluation_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  environment_id uuid NOT NULL REFERENCES environments (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  prefix text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  revoked_by text,
  last_used_at timestamptz
);
CREATE INDEX evaluation_tokens_by_environment ON evaluation_tokens (environment_id);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role text NOT NULL CHECK (role IN ('admin', 'editor', 'deployer', 'viewer')),
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  prefix text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  revoked_by text,
  last_used_at timestamptz
);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  actor_token_id uuid,
  action text NOT NULL,
  target_type text NOT NULL,
  target text NOT NULL,
  project_key text,
  before_hash text,
  after_hash text,
  request_id text,
  ip text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_by_action ON audit_log (action, id DESC);
CREATE INDEX audit_log_by_project ON audit_log (project_key, id DESC);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION verdict_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION verdict_refuse_change();
