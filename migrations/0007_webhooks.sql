-- Webhooks (ADR 0017): subscriptions, an outbox of events written in the same transaction as the
-- change they describe, one delivery per (event, subscription), and every attempt's outcome.
-- Everything is replicated with the rest of the database, so a promoted standby has every event
-- whose change committed and delivers what was still pending (at least once; the event id is the
-- receiver's de-duplication key).

-- The secret is kept as given: the server needs it in clear to compute HMAC-SHA256 signatures.
-- Lists show `secret_prefix` only.
CREATE TABLE webhook_subscriptions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES projects (id),
  url text NOT NULL CHECK (length(url) BETWEEN 10 AND 2048),
  events text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 16),
  secret text NOT NULL CHECK (length(secret) BETWEEN 16 AND 256),
  secret_prefix text NOT NULL,
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Deleted subscriptions stay (their delivery log refers to them) but get no new deliveries.
  deleted_at timestamptz,
  deleted_by text
);
CREATE INDEX webhook_subscriptions_active ON webhook_subscriptions (project_id) WHERE deleted_at IS NULL;

CREATE TABLE webhook_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  type text NOT NULL CHECK (type ~ '^[a-z]+\.[a-z-]+$'),
  -- NULL for cluster-wide events (a generation change): every project's subscribers get them.
  project_id uuid REFERENCES projects (id),
  project_key text,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_by_age ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id uuid NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- The lease of the node sending it now. A lease taken under an older cluster generation (by a
  -- node writing to a primary since lost) is void at once, so a promotion does not wait it out.
  locked_until timestamptz,
  locked_generation bigint,
  last_status_code integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  UNIQUE (event_id, subscription_id),
  CHECK ((status = 'pending') = (finished_at IS NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (subscription_id, id DESC);

CREATE TABLE webhook_attempts (
  delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt integer NOT NULL CHECK (attempt >= 1),
  at timestamptz NOT NULL DEFAULT now(),
  status_code integer,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  error text CHECK (length(error) <= 1000),
  response_snippet text CHECK (length(response_snippet) <= 1024),
  node_id text,
  PRIMARY KEY (delivery_id, attempt)
);

-- Which (node, environment, release) was already reported out of sync: one event each.
CREATE TABLE webhook_out_of_sync_reported (
  node_id text NOT NULL,
  environment_id uuid NOT NULL,
  release_id uuid NOT NULL,
  reported_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (node_id, environment_id, release_id)
);

-- The one fan-out, used by the application (WebhooksService.emit) and by the trigger below: an
-- event is stored only when someone subscribed to it, with one pending delivery per subscriber,
-- and the delivery workers listening on the primary are woken when (and only if) it commits.
CREATE FUNCTION verdict_webhook_emit(p_type text, p_project_id uuid, p_project_key text, p_data jsonb) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  new_event uuid;
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM webhook_subscriptions s
    WHERE s.deleted_at IS NULL AND (p_project_id IS NULL OR s.project_id = p_project_id)
      AND (p_type = ANY (s.events) OR '*' = ANY (s.events))
  ) THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_events (type, project_id, project_key, data) VALUES (p_type, p_project_id, p_project_key, p_data)
  RETURNING id INTO new_event;
  INSERT INTO webhook_deliveries (event_id, subscription_id)
  SELECT new_event, s.id FROM webhook_subscriptions s
  WHERE s.deleted_at IS NULL AND (p_project_id IS NULL OR s.project_id = p_project_id)
    AND (p_type = ANY (s.events) OR '*' = ANY (s.events));
  PERFORM pg_notify('verdict_webhooks', '');
  RETURN new_event;
END;
$$;

-- A generation change is made by `verdict dr promote` (or Patroni's promotion step) with plain SQL
-- on the new primary, not through a node: the trigger makes its event wherever it comes from. It
-- runs as the schema's owner (whoever promotes may not own the webhook tables) and never fails
-- the promotion: fencing matters more than a notification.
CREATE FUNCTION verdict_webhook_generation_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  BEGIN
    PERFORM verdict_webhook_emit('cluster.generation-changed', NULL, NULL, jsonb_build_object(
      'generation', NEW.generation, 'previousGeneration', OLD.generation,
      'changedBy', NEW.changed_by, 'note', NEW.note, 'changedAt', NEW.changed_at));
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'webhook event for the generation change not recorded: %', SQLERRM;
  END;
  RETURN NEW;
END;
$$;
CREATE TRIGGER cluster_state_webhook AFTER UPDATE OF generation ON cluster_state
  FOR EACH ROW WHEN (NEW.generation IS DISTINCT FROM OLD.generation)
  EXECUTE FUNCTION verdict_webhook_generation_changed();
