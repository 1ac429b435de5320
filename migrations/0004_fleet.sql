-- Every app node reports itself here (best effort, through the primary): which release it serves
-- per environment and when it last reloaded, so anyone can see the fleet across regions.
CREATE TABLE fleet_nodes (
  node_id text PRIMARY KEY CHECK (length(node_id) BETWEEN 1 AND 200),
  region text NOT NULL,
  version text NOT NULL,
  started_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  heartbeat_interval_ms integer NOT NULL CHECK (heartbeat_interval_ms > 0),
  db_role text NOT NULL,
  change_counter bigint,
  reloaded_at timestamptz,
  -- [{ "environmentId", "project", "environment", "releaseId", "releaseLabel" }]
  serving jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX fleet_nodes_by_last_seen ON fleet_nodes (last_seen_at DESC);
