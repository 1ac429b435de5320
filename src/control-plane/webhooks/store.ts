import type { Queryable } from '../../db/connect.js';
import type { Attempt, DeliveriesQuery, Delivery, Webhook } from './schemas.js';

interface WebhookRow extends Omit<Webhook, 'createdAt'> {
  createdAt: Date;
}

const toWebhook = (r: WebhookRow): Webhook => ({ ...r, createdAt: r.createdAt.toISOString() });

const selectWebhooks = (q: Queryable) => q`
  SELECT s.id, p.key AS project, s.url, s.events, s.description, s.secret_prefix, s.created_by, s.created_at
  FROM webhook_subscriptions s JOIN projects p ON p.id = s.project_id`;

export async function insertWebhook(
  q: Queryable,
  w: { projectId: string; url: string; events: readonly string[]; secret: string; secretPrefix: string; description: string; createdBy: string },
): Promise<Webhook> {
  const [row] = await q<{ id: string }[]>`
    INSERT INTO webhook_subscriptions (project_id, url, events, secret, secret_prefix, description, created_by)
    VALUES (${w.projectId}, ${w.url}, ${w.events as string[]}, ${w.secret}, ${w.secretPrefix}, ${w.description}, ${w.createdBy})
    RETURNING id`;
  return (await findWebhook(q, w.projectId, row!.id))!;
}

/** An active (not deleted) subscription of the project. */
export async function findWebhook(q: Queryable, projectId: string, id: string): Promise<Webhook | undefined> {
  const [row] = await q<WebhookRow[]>`${selectWebhooks(q)} WHERE s.project_id = ${projectId} AND s.id = ${id} AND s.deleted_at IS NULL`;
  return row && toWebhook(row);
}

export async function listWebhooks(q: Queryable, projectId: string): Promise<Webhook[]> {
  const rows = await q<WebhookRow[]>`${selectWebhooks(q)} WHERE s.project_id = ${projectId} AND s.deleted_at IS NULL ORDER BY s.created_at, s.id`;
  return rows.map(toWebhook);
}

export async function countActiveWebhooks(q: Queryable, projectId: string): Promise<number> {
  const [row] = await q<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_subscriptions WHERE project_id = ${projectId} AND deleted_at IS NULL`;
  return row!.n;
}

/** Deletes a subscription (kept for its delivery log) and cancels what it still had to send. False when already deleted. */
export async function deleteWebhook(q: Queryable, id: string, by: string): Promise<boolean> {
  const rows = await q`UPDATE webhook_subscriptions SET deleted_at = now(), deleted_by = ${by} WHERE id = ${id} AND deleted_at IS NULL RETURNING id`;
  if (rows.length === 0) return false;
  await q`
    UPDATE webhook_deliveries SET status = 'cancelled', finished_at = now(), locked_until = NULL
    WHERE subscription_id = ${id} AND status = 'pending'`;
  return true;
}

/** The fan-out function of migration 0007 (shared with the generation-change trigger). */
export async function emitEvent(q: Queryable, e: { type: string; projectId: string | null; projectKey: string | null; data: unknown }): Promise<string | null> {
  const [row] = await q<{ id: string | null }[]>`
    SELECT verdict_webhook_emit(${e.type}, ${e.projectId}, ${e.projectKey}, ${q.json(e.data as never)}) AS id`;
  return row?.id ?? null;
}

/** A ping: an event for one subscription only, whatever it subscribed to. */
export async function insertPing(q: Queryable, subscriptionId: string, projectId: string, projectKey: string, data: unknown): Promise<{ eventId: string; deliveryId: number }> {
  const [event] = await q<{ id: string }[]>`
    INSERT INTO webhook_events (type, project_id, project_key, data) VALUES ('webhook.ping', ${projectId}, ${projectKey}, ${q.json(data as never)}) RETURNING id`;
  const [delivery] = await q<{ id: number }[]>`
    INSERT INTO webhook_deliveries (event_id, subscription_id) VALUES (${event!.id}, ${subscriptionId}) RETURNING id`;
  await q`SELECT pg_notify('verdict_webhooks', '')`;
  return { eventId: event!.id, deliveryId: Number(delivery!.id) };
}

interface DeliveryRow extends Omit<Delivery, 'createdAt' | 'finishedAt' | 'nextAttemptAt' | 'attemptLog' | 'id'> {
  id: string | number;
  createdAt: Date;
  finishedAt: Date | null;
  nextAttemptAt: Date;
}

interface AttemptRow extends Omit<Attempt, 'at'> {
  deliveryId: string | number;
  at: Date;
}

/** The delivery log of a subscription, newest first, each with its attempts. */
export async function listDeliveries(q: Queryable, subscriptionId: string, filter: DeliveriesQuery): Promise<Delivery[]> {
  const rows = await q<DeliveryRow[]>`
    SELECT d.id, d.event_id, e.type AS event_type, d.status, d.attempts, d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.finished_at
    FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
    WHERE d.subscription_id = ${subscriptionId} ${filter.status ? q`AND d.status = ${filter.status}` : q``}
    ORDER BY d.id DESC LIMIT ${filter.limit}`;
  const ids = rows.map((r) => String(r.id));
  const attempts = ids.length === 0 ? [] : await q<AttemptRow[]>`
    SELECT delivery_id, attempt, at, status_code, duration_ms, error, response_snippet
    FROM webhook_attempts WHERE delivery_id = ANY(${ids}::bigint[]) ORDER BY delivery_id, attempt`;
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    createdAt: r.createdAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
    nextAttemptAt: r.status === 'pending' ? r.nextAttemptAt.toISOString() : null,
    attemptLog: attempts
      .filter((a) => String(a.deliveryId) === String(r.id))
      .map(({ deliveryId: _d, ...a }) => ({ ...a, at: a.at.toISOString() })),
  }));
}
