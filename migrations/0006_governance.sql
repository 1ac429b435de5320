-- Governance: protected environments (deploy approvals) and API tokens that expire, rotate and
-- can be limited to one project.

-- How many approvals a deployment or rollback to this environment needs, and who may give them.
-- 0 = unprotected (deploy directly). approver_role NULL = anyone allowed to deploy (admin, deployer);
-- approver_group NULL = no group required (a group comes from single sign-on claims).
ALTER TABLE environments
  ADD COLUMN required_approvals integer NOT NULL DEFAULT 0 CHECK (required_approvals BETWEEN 0 AND 10),
  ADD COLUMN approver_role text CHECK (approver_role IN ('admin', 'deployer')),
  ADD COLUMN approver_group text CHECK (length(approver_group) BETWEEN 1 AND 200),
  ADD COLUMN request_ttl_seconds integer NOT NULL DEFAULT 604800 CHECK (request_ttl_seconds BETWEEN 60 AND 7776000);

-- A deploy or rollback waiting for approval. The release is fixed when it is requested, so what
-- the approvers see is what goes live. The approval that reaches the quorum deploys in its own
-- transaction and links the deployment here.
CREATE TABLE deployment_requests (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id uuid NOT NULL,
  environment_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('deploy', 'rollback')),
  release_id uuid NOT NULL,
  comment text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
  source text NOT NULL CHECK (source IN ('api', 'package')),
  requested_by text NOT NULL,
  requested_by_subject text NOT NULL,
  required_approvals integer NOT NULL CHECK (required_approvals >= 1),
  approver_role text,
  approver_group text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'deployed', 'rejected', 'cancelled', 'expired')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  closed_at timestamptz,
  closed_by text,
  deployment_id bigint REFERENCES deployments (id),
  FOREIGN KEY (project_id, environment_id) REFERENCES environments (project_id, id),
  FOREIGN KEY (project_id, release_id) REFERENCES releases (project_id, id),
  CHECK ((status = 'pending') = (closed_at IS NULL)),
  CHECK ((status = 'deployed') = (deployment_id IS NOT NULL))
);
CREATE INDEX deployment_requests_pending ON deployment_requests (project_id, environment_id) WHERE status = 'pending';
CREATE INDEX deployment_requests_by_project ON deployment_requests (project_id, id DESC);

-- One verdict per person per request; history only grows.
CREATE TABLE deployment_request_reviews (
  request_id bigint NOT NULL REFERENCES deployment_requests (id),
  reviewer text NOT NULL,
  reviewer_subject text NOT NULL,
  verdict text NOT NULL CHECK (verdict IN ('approve', 'reject')),
  comment text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, reviewer_subject)
);
CREATE TRIGGER deployment_request_reviews_append_only BEFORE UPDATE OR DELETE ON deployment_request_reviews
  FOR EACH ROW EXECUTE FUNCTION verdict_refuse_change();

-- API tokens: an expiry (NULL = never), a project scope (NULL = every project), explicit extra
-- permissions beyond the role ('deploy-unreviewed'), and rotation with a grace period in which
-- the previous secret still works.
ALTER TABLE api_tokens
  ADD COLUMN expires_at timestamptz,
  ADD COLUMN project_id uuid REFERENCES projects (id),
  ADD COLUMN permissions text[] NOT NULL DEFAULT '{}' CHECK (permissions <@ ARRAY['deploy-unreviewed']::text[]),
  ADD COLUMN rotated_at timestamptz,
  ADD COLUMN previous_token_hash text UNIQUE CHECK (previous_token_hash ~ '^[0-9a-f]{64}$'),
  ADD COLUMN previous_expires_at timestamptz;
