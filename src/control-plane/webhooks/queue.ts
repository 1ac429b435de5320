import type { Queryable } from '../../db/connect.js';
import type { AttemptOutcome } from './sender.js';

/** A delivery a node took a lease on, with what it needs to send it. */
export interface ClaimedDelivery {
  readonly id: number;
  /** Attempts made before this one. */
  readonly attempts: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly eventCreatedAt: Date;
  readonly projectKey: string | null;
  readonly data: unknown;
  readonly url: string;
  readonly secret: string;
}

/**
 * Takes up to `limit` due deliveries for this node: `FOR UPDATE SKIP LOCKED` so nodes claiming at
 * once take different rows, and a lease (`locked_until`) that expires, so a node that dies while
 * sending leaves its deliveries to others rather than holding them. A lease taken under an older
 * cluster generation is void: it was taken on a primary that has since been replaced.
 */
export async function claimDue(q: Queryable, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  return q<ClaimedDelivery[]>`
    WITH current AS (SELECT generation FROM cluster_state),
    due AS (
      SELECT d.id FROM webhook_deliveries d
      WHERE d.status = 'pending' AND d.next_attempt_at <= now()
        AND (d.locked_until IS NULL OR d.locked_until < now() OR d.locked_generation IS DISTINCT FROM (SELECT generation FROM current))
      ORDER BY d.next_attempt_at
      LIMIT ${limit}
      FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE webhook_deliveries d
    SET locked_until = now() + make_interval(secs => ${leaseMs / 1000}), locked_generation = (SELECT generation FROM current)
    FROM due, webhook_events e, webhook_subscriptions s
    WHERE d.id = due.id AND e.id = d.event_id AND s.id = d.subscription_id
    RETURNING d.id, d.attempts, e.id AS event_id, e.type AS event_type, e.created_at AS event_created_at, e.project_key, e.data, s.url, s.secret`;
}

/**
 * Records one attempt and what follows: delivered, failed for good, or pending again at
 * `retryAt`. Only the holder of attempt number `attempts + 1` moves the delivery on: when a lease
 * expired and two nodes sent it, the second report is kept in the attempt log only.
 */
export async function recordAttempt(
  q: Queryable,
  delivery: Pick<ClaimedDelivery, 'id' | 'attempts'>,
  outcome: AttemptOutcome,
  retryInMs: number | null,
  nodeId: string,
): Promise<void> {
  const attempt = delivery.attempts + 1;
  await q`
    INSERT INTO webhook_attempts (delivery_id, attempt, status_code, duration_ms, error, response_snippet, node_id)
    VALUES (${delivery.id}, ${attempt}, ${outcome.statusCode}, ${outcome.durationMs}, ${outcome.error}, ${outcome.responseSnippet}, ${nodeId})
    ON CONFLICT DO NOTHING`;
  const status = outcome.delivered ? 'delivered' : retryInMs === null ? 'failed' : 'pending';
  await q`
    UPDATE webhook_deliveries SET
      attempts = ${attempt},
      status = ${status},
      next_attempt_at = CASE WHEN ${status} = 'pending' THEN now() + make_interval(secs => ${(retryInMs ?? 0) / 1000}) ELSE next_attempt_at END,
      finished_at = CASE WHEN ${status} = 'pending' THEN NULL ELSE now() END,
      locked_until = NULL, locked_generation = NULL,
      last_status_code = ${outcome.statusCode}, last_error = ${outcome.error}
    WHERE id = ${delivery.id} AND status = 'pending' AND attempts = ${delivery.attempts}`;
}

/** How long until the next delivery is due (0: now), or null when none is pending. */
export async function nextDueInMs(q: Queryable): Promise<number | null> {
  // No greatest(0, ...) in SQL: GREATEST skips NULLs, so "none pending" would read as "due now"
  // and the dispatcher would poll every 10 ms on an idle node.
  const [row] = await q<{ ms: number | null }[]>`
    SELECT (extract(epoch FROM (min(greatest(next_attempt_at, coalesce(locked_until, next_attempt_at))) - now())) * 1000)::float8 AS ms
    FROM webhook_deliveries WHERE status = 'pending'`;
  const ms = row?.ms;
  return ms === null || ms === undefined ? null : Math.max(0, ms);
}

/**
 * Forgets events older than the retention whose deliveries are all finished (their deliveries and
 * attempts go with them), a batch at a time; returns how many went.
 */
export async function pruneOldEvents(q: Queryable, retentionDays: number, batch = 1000): Promise<number> {
  const rows = await q`
    DELETE FROM webhook_events WHERE id IN (
      SELECT e.id FROM webhook_events e
      WHERE e.created_at < now() - make_interval(days => ${retentionDays})
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
      LIMIT ${batch})
    RETURNING id`;
  await q`DELETE FROM webhook_out_of_sync_reported WHERE reported_at < now() - make_interval(days => ${retentionDays})`;
  return rows.length;
}
