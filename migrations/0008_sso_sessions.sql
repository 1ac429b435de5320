-- Web console sessions of people who signed in through single sign-on (OpenID Connect). The
-- browser's HttpOnly cookie holds a random secret; only its SHA-256 is stored, so a copy of the
-- table (a backup, a replica) signs nobody in. Rows live in PostgreSQL, so a session started on
-- one node (or region) is honoured by every other, and signing out revokes it everywhere.
CREATE TABLE console_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  secret_hash text NOT NULL UNIQUE CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  -- user:<issuer>#<sub>: the stable identity compared where "someone else" matters (approvals).
  subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 1200),
  issuer text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 500),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role text NOT NULL CHECK (role IN ('admin', 'editor', 'deployer', 'viewer')),
  groups text[] NOT NULL DEFAULT '{}' CHECK (cardinality(groups) <= 256),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CHECK (expires_at > created_at)
);
-- Purging long-expired rows walks this.
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);
