import { randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/connect.js';
import type { Database } from '../../db/database.js';
import type { IdempotencyContext } from '../../db/idempotency.js';
import type { Actor } from '../../lib/actor.js';
import { OutboundRefused, resolveOutbound, type OutboundPolicy } from '../../lib/outbound-address.js';
import { AppError, badRequest, conflict, notFound } from '../../errors.js';
import type { AuditService } from '../audit/service.js';
import type { ProjectsService } from '../projects/service.js';
import { MAX_EVENT_DATA_BYTES, type WebhookEmitter, type WebhookEvent } from './events.js';
import { WEBHOOK_LIMITS, type CreateWebhook, type DeliveriesQuery, type Delivery, type NewWebhook, type Webhook } from './schemas.js';
import { countActiveWebhooks, deleteWebhook, emitEvent, findWebhook, insertPing, insertWebhook, listDeliveries, listWebhooks } from './store.js';

export interface WebhooksOptions {
  /** VERDICT_WEBHOOK_ALLOW_HOSTS: hosts that may resolve to private addresses. */
  readonly allowHosts: readonly string[];
  /** DNS, replaceable in tests. */
  readonly resolve?: OutboundPolicy['resolve'];
}

export const ALLOW_HOSTS_SETTING = 'VERDICT_WEBHOOK_ALLOW_HOSTS';

/**
 * Webhook subscriptions of a project, their delivery log, and `emit`, which the features that
 * change things call inside their transactions (the outbox). Delivery is the dispatcher's job.
 */
export class WebhooksService implements WebhookEmitter {
  readonly policy: OutboundPolicy;

  constructor(
    private readonly db: Database,
    private readonly projects: ProjectsService,
    private readonly audit: AuditService,
    options: WebhooksOptions,
  ) {
    this.policy = { allowHosts: options.allowHosts, setting: ALLOW_HOSTS_SETTING, ...(options.resolve ? { resolve: options.resolve } : {}) };
  }

  emit(tx: Queryable, event: WebhookEvent): Promise<string | null> {
    // A bound on what the code itself sends, not on user input: a failure here is a bug.
    const size = Buffer.byteLength(JSON.stringify(event.data));
    if (size > MAX_EVENT_DATA_BYTES) throw new Error(`webhook event ${event.type} carries ${size} bytes of data, more than ${MAX_EVENT_DATA_BYTES}`);
    return emitEvent(tx, { type: event.type, projectId: event.project?.id ?? null, projectKey: event.project?.key ?? null, data: event.data });
  }

  async create(actor: Actor, projectKey: string, input: CreateWebhook, idempotency?: IdempotencyContext): Promise<NewWebhook> {
    // Checked before the transaction (DNS takes time) and again at every delivery (DNS changes).
    await this.checkUrl(input.url);
    const generated = input.secret === undefined;
    const secret = input.secret ?? `whsec_${randomBytes(32).toString('base64url')}`;
    // `*` covers every other name: stored alone.
    const events: string[] = (input.events as readonly string[]).includes('*') ? ['*'] : [...(input.events as readonly string[])];
    return this.db.transaction(async (tx) => {
      const project = await this.projects.get(projectKey, tx);
      await this.projects.lock(tx, project); // the count below holds until commit
      if ((await countActiveWebhooks(tx, project.id)) >= WEBHOOK_LIMITS.maxPerProject) {
        throw conflict(`project '${projectKey}' already has ${WEBHOOK_LIMITS.maxPerProject} webhooks, the most it may have; delete one first`);
      }
      const webhook = await insertWebhook(tx, {
        projectId: project.id,
        url: input.url,
        events,
        secret,
        secretPrefix: secretPrefix(secret, generated),
        description: input.description ?? '',
        createdBy: actor.name,
      });
      await this.audit.record(tx, actor, {
        action: 'webhook.create',
        targetType: 'webhook',
        target: webhook.id,
        projectKey,
        details: { url: webhook.url, events, secretPrefix: webhook.secretPrefix },
      });
      // A secret the caller gave is not echoed: with an Idempotency-Key this answer is stored.
      return generated ? { ...webhook, secret } : webhook;
    }, { idempotency: generated ? undefined : idempotency });
  }

  async list(projectKey: string): Promise<Webhook[]> {
    const project = await this.projects.get(projectKey);
    return listWebhooks(this.db.read, project.id);
  }

  async delete(actor: Actor, projectKey: string, id: string, idempotency?: IdempotencyContext): Promise<Webhook> {
    return this.db.transaction(async (tx) => {
      const project = await this.projects.get(projectKey, tx);
      const webhook = await findWebhook(tx, project.id, id);
      if (!webhook) throw notFound(`project '${projectKey}' has no webhook ${id}`);
      if (!(await deleteWebhook(tx, id, actor.name))) throw conflict(`webhook ${id} was just deleted`);
      await this.audit.record(tx, actor, {
        action: 'webhook.delete',
        targetType: 'webhook',
        target: id,
        projectKey,
        details: { url: webhook.url, events: webhook.events },
      });
      return webhook;
    }, { idempotency });
  }

  async deliveries(projectKey: string, id: string, filter: DeliveriesQuery): Promise<Delivery[]> {
    const project = await this.projects.get(projectKey);
    // From the primary when known: the log changes by the second and a replica may lag behind it.
    const q = this.db.writerIfAny ?? this.db.read;
    if (!(await findWebhook(q, project.id, id))) throw notFound(`project '${projectKey}' has no webhook ${id}`);
    return listDeliveries(q, id, filter);
  }

  /** Sends a `webhook.ping` event to this subscription alone, to try a receiver. */
  async ping(actor: Actor, projectKey: string, id: string): Promise<{ eventId: string; deliveryId: number }> {
    return this.db.transaction(async (tx) => {
      const project = await this.projects.get(projectKey, tx);
      if (!(await findWebhook(tx, project.id, id))) throw notFound(`project '${projectKey}' has no webhook ${id}`);
      return insertPing(tx, id, project.id, project.key, { webhookId: id, requestedBy: actor.name });
    });
  }

  /** The outbound policy applied to a URL being subscribed: a 400 that says what to change. */
  async checkUrl(url: string): Promise<void> {
    try {
      await resolveOutbound(url, this.policy);
    } catch (error) {
      if (error instanceof OutboundRefused) throw badRequest(`webhook URL refused: ${error.message}`, { url });
      throw new AppError('internal', (error as Error).message);
    }
  }
}

/** Generated secrets show their kind and 4 random characters; a given secret shows its first 4 only. */
function secretPrefix(secret: string, generated: boolean): string {
  return generated ? `${secret.slice(0, 10)}…` : `${secret.slice(0, 4)}…`;
}
