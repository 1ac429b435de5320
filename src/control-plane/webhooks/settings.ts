import { DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_BASE_MS } from './retry-schedule.js';

/** How a node sends webhooks (the VERDICT_WEBHOOK_* settings). */
export interface WebhookSettings {
  /** Hosts whose addresses may be private, loopback or link-local (`host` matches any port of it). */
  readonly allowHosts: readonly string[];
  /** One POST, connection to response, before it counts as failed. */
  readonly timeoutMs: number;
  /** The first retry's delay; later ones are multiples of it (see retry-schedule.ts). */
  readonly retryBaseMs: number;
  /** Attempts before a delivery is marked failed. */
  readonly maxAttempts: number;
  /** How often a node looks for due deliveries when nothing woke it. */
  readonly pollMs: number;
  /** A node still serving another release this long after a deployment is reported out of sync. */
  readonly outOfSyncMs: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = Object.freeze({
  allowHosts: Object.freeze([]),
  timeoutMs: 10_000,
  retryBaseMs: DEFAULT_RETRY_BASE_MS,
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  pollMs: 5_000,
  outOfSyncMs: 60_000,
});
