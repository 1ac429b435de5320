-- Fencing: the cluster generation. A promotion bumps it on the new primary; every Verdict write
-- transaction reads it and refuses a server whose generation is older than one the node has seen
-- (an old primary that came back writable). Replicated like everything else.
CREATE TABLE cluster_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  generation bigint NOT NULL CHECK (generation >= 1),
  changed_at timestamptz NOT NULL DEFAULT now(),
  changed_by text NOT NULL,
  note text NOT NULL DEFAULT ''
);
INSERT INTO cluster_state (singleton, generation, changed_by, note) VALUES (true, 1, 'migration', 'initial generation');
