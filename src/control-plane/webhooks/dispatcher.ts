import type { Logger } from 'pino';
import type { Sql } from '../../db/connect.js';
import type { Database } from '../../db/database.js';
import type { OutboundPolicy } from '../../lib/outbound-address.js';
import { VERSION } from '../../version.js';
import type { WebhookEmitter } from './events.js';
import { reportOutOfSyncNodes } from './out-of-sync.js';
import { claimDue, nextDueInMs, pruneOldEvents, recordAttempt, type ClaimedDelivery } from './queue.js';
import { retryDelayMs } from './retry-schedule.js';
import { sendDelivery } from './sender.js';
import { eventBody, signatureHeader } from './signature.js';

export interface DispatcherOptions {
  readonly nodeId: string;
  readonly policy: OutboundPolicy;
  /** One POST, connect to last byte read (VERDICT_WEBHOOK_TIMEOUT_MS). */
  readonly timeoutMs: number;
  readonly retry: { readonly baseMs: number; readonly maxAttempts: number };
  /** Look for due deliveries at least this often, whatever wakes the dispatcher (VERDICT_WEBHOOK_POLL_MS). */
  readonly pollMs: number;
  /** Report a node still serving another release this long after a deployment (VERDICT_WEBHOOK_OUT_OF_SYNC_MS). */
  readonly outOfSyncMs: number;
  /** Deliveries sent at once by this node. */
  readonly batchSize?: number;
  /** Finished deliveries older than this are forgotten. */
  readonly retentionDays?: number;
  readonly logger?: Logger | undefined;
}

export const NOTIFY_CHANNEL = 'verdict_webhooks';
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const STOP_GRACE_MS = 2000;

/**
 * Sends pending deliveries. Every node runs one, and all of them work on the primary only (claims
 * and results are write transactions, fenced and re-routed after a failover by `Database`): what
 * was committed before a primary was lost is on the standby that replaces it and is sent from
 * there, at least once. Woken by NOTIFY on the primary when an event commits, by its own timer
 * when a retry falls due, and by a poll in case a notification was missed (a listener reconnecting).
 */
export class WebhookDispatcher {
  readonly #db: Database;
  readonly #emitter: WebhookEmitter;
  readonly #options: DispatcherOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  #listeningOn: Sql | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #lastOutOfSyncCheck = 0;
  #lastPrune = 0;
  #lastErrorLogAt = 0;

  constructor(db: Database, emitter: WebhookEmitter, options: DispatcherOptions) {
    this.#db = db;
    this.#emitter = emitter;
    this.#options = options;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.wake();
  }

  /** Look for due deliveries now (a round under way is followed by another). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#round().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  /**
   * Stops taking deliveries and gives the round under way a moment to record what it sent. Not
   * longer: with the primary unreachable the round may be retrying its writes, and shutdown has a
   * deadline. Nothing is lost either way: what was not recorded stays pending under a lease that
   * expires, and is sent again (at least once).
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const grace = new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
    await Promise.race([this.#running, grace]);
    await this.#unlisten?.().catch(() => undefined);
    this.#unlisten = undefined;
  }

  async #round(): Promise<void> {
    let waitMs = this.#options.pollMs;
    await this.#listen();
    try {
      for (;;) {
        const batch = await this.#db.transaction((tx) => claimDue(tx, this.#options.batchSize ?? 10, this.#options.timeoutMs + 5000), { idempotent: true });
        if (batch.length === 0) break;
        await Promise.all(batch.map((delivery) => this.#deliver(delivery)));
        if (this.#stopped) return;
      }
      await this.#housekeeping();
      const due = await nextDueInMs(this.#db.sql);
      if (due !== null) waitMs = Math.min(waitMs, Math.max(10, Math.ceil(due)));
    } catch (error) {
      // No primary now (a failover), or it failed mid-round: the poll comes back to it.
      const now = Date.now();
      if (now - this.#lastErrorLogAt > 10_000) {
        this.#lastErrorLogAt = now;
        this.#options.logger?.warn({ err: error }, 'webhook deliveries: cannot reach the primary now; trying again');
      }
      waitMs = Math.min(waitMs, 1000);
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.wake(), waitMs);
    this.#timer.unref();
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    const body = eventBody({ id: delivery.eventId, type: delivery.eventType, createdAt: delivery.eventCreatedAt, projectKey: delivery.projectKey, data: delivery.data });
    const outcome = await sendDelivery(
      {
        url: delivery.url,
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': `Verdict-Webhooks/${VERSION}`,
          'verdict-event-id': delivery.eventId,
          'verdict-event-type': delivery.eventType,
          'verdict-delivery-attempt': String(delivery.attempts + 1),
          'verdict-signature': signatureHeader(delivery.secret, body),
        },
      },
      this.#options.policy,
      this.#options.timeoutMs,
    );
    const retryInMs = outcome.delivered ? null : retryDelayMs(delivery.attempts + 1, this.#options.retry);
    this.#options.logger?.[outcome.delivered ? 'debug' : 'info'](
      { deliveryId: delivery.id, eventId: delivery.eventId, type: delivery.eventType, statusCode: outcome.statusCode, error: outcome.error, retryInMs },
      outcome.delivered ? 'webhook delivered' : 'webhook delivery failed',
    );
    // If this write is lost (a failover now), the delivery stays pending under a void lease and is
    // sent again from the new primary: at least once.
    await this.#db.transaction((tx) => recordAttempt(tx, delivery, outcome, retryInMs, this.#options.nodeId), { idempotent: true });
  }

  /** Out-of-sync nodes and pruning: cheap, and not more often than needed. */
  async #housekeeping(): Promise<void> {
    const now = Date.now();
    const { outOfSyncMs } = this.#options;
    if (now - this.#lastOutOfSyncCheck >= Math.min(Math.max(outOfSyncMs / 2, 1000), 30_000)) {
      this.#lastOutOfSyncCheck = now;
      await this.#db.transaction((tx) => reportOutOfSyncNodes(tx, this.#emitter, outOfSyncMs), { idempotent: true });
    }
    if (now - this.#lastPrune >= PRUNE_EVERY_MS) {
      this.#lastPrune = now;
      await this.#db.transaction((tx) => pruneOldEvents(tx, this.#options.retentionDays ?? 30), { idempotent: true });
    }
  }

  /**
   * LISTEN on the current primary; again whenever the primary (its pool) changes. A failure only
   * costs promptness: the poll still finds the deliveries.
   */
  async #listen(): Promise<void> {
    const pool = this.#db.writerIfAny;
    if (!pool || pool === this.#listeningOn) return;
    await this.#unlisten?.().catch(() => undefined);
    this.#unlisten = undefined;
    try {
      const listener = await pool.listen(NOTIFY_CHANNEL, () => this.wake());
      this.#listeningOn = pool;
      this.#unlisten = () => listener.unlisten();
    } catch (error) {
      this.#options.logger?.debug({ err: error }, 'webhook deliveries: LISTEN failed; polling until it works');
    }
  }
}
